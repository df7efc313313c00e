# cascadectl: the operator CLI for cascade-acs's JSON API.
COMPONENTS        += cascadectl
cascadectl_DIR    := tools/cascadectl
cascadectl_BIN    := cascadectl
cascadectl_USES   := meter common
cascadectl_LDLIBS := -lcurl -ljansson
