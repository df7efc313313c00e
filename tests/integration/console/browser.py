#!/usr/bin/python3
"""The web console in a real browser: headless Chromium from Debian,
driven by python3-selenium through chromedriver, on 127.0.0.1 only.

Logs in (a wrong token first), looks at the fleet (search, sort, a
device's timeline), the groups (master and reasons), starts a campaign
from the form and watches it finish on its page without a reload (then
its report), clears and retries a fault, and cancels a second campaign.
Every page's screenshot goes to $SCREENSHOTS. Prints TAP lines; exits 1
when one failed.

Environment: CONSOLE_URL, TOKEN, IMAGE_NAME, IMAGE_SIZE, IMAGE_SHA256,
ORIGIN_IMAGE_URL, SECOND_IMAGE_NAME, SECOND_IMAGE_SIZE, SECOND_IMAGE_SHA256,
SECOND_ORIGIN_IMAGE_URL, STOP_FLEET (a command run before the second
campaign), SCREENSHOTS, PROFILE (a fresh --user-data-dir), DRIVER_PORT,
DRIVER_LOG."""
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["CONSOLE_URL"].rstrip("/")
SCREENSHOTS = os.environ["SCREENSHOTS"]
failures = 0


def ok(what):
    print(f"ok - browser: {what}", flush=True)


def not_ok(what, detail=""):
    global failures
    failures += 1
    print(f"not ok - browser: {what}", flush=True)
    for line in str(detail).splitlines()[:20]:
        print(f"#   {line}", flush=True)


def check(what, condition, detail=""):
    if condition:
        ok(what)
    else:
        not_ok(what, detail)
    return condition


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 f"--user-data-dir={os.environ['PROFILE']}", "--window-size=1400,1000",
                 "--no-default-browser-check", "--disable-default-apps", "--disable-extensions",
                 "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                 "--no-proxy-server",
                 # any name but 127.0.0.1 resolves to nothing: the browser can reach nothing else
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path="/usr/bin/chromedriver", port=int(os.environ["DRIVER_PORT"]),
                      service_args=["--allowed-ips=127.0.0.1", f"--log-path={os.environ['DRIVER_LOG']}"])
    return webdriver.Chrome(service=service, options=options)


def wait(driver, seconds, condition, what):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)
    except TimeoutException:
        not_ok(what, f"timed out after {seconds} s on {driver.current_url}\n"
                     f"{driver.find_element(By.TAG_NAME, 'body').text[:1500]}")
        return None


def shot(driver, name):
    time.sleep(0.3)  # let the last repaint land
    path = os.path.join(SCREENSHOTS, f"console-{name}.png")
    check(f"screenshot of the {name} page ({os.path.basename(path)})", driver.save_screenshot(path))


def text_of(driver, selector):
    elements = driver.find_elements(By.CSS_SELECTOR, selector)
    return elements[0].text if elements else ""


def go(driver, fragment):
    driver.execute_script("location.hash = arguments[0]", fragment)


def log_in(driver):
    driver.get(URL + "/")
    if not wait(driver, 20, lambda d: d.find_element(By.ID, "login").is_displayed(), "the login form shows"):
        return False
    ok("the login form shows")
    shot(driver, "login")
    field = driver.find_element(By.ID, "token")
    field.send_keys("not-the-token")
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait(driver, 10, lambda d: "Wrong token" in text_of(d, "#login-error"), "a wrong token is refused on the page")
    check("a wrong token is refused on the page", "Wrong token" in text_of(driver, "#login-error"))
    field.clear()
    field.send_keys(os.environ["TOKEN"])
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    if not wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.device-row"), "logged in: the fleet shows"):
        return False
    cookies = {cookie["name"]: cookie for cookie in driver.get_cookies()}
    cookie = cookies.get("cascade_console", {})
    check("the session cookie is HttpOnly and SameSite=Strict",
          cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", json.dumps(cookie))
    check("the page's scripts cannot read the session cookie",
          "cascade_console" not in driver.execute_script("return document.cookie"))
    return True


def fleet(driver):
    rows = wait(driver, 20, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.device-row")) == 12 and
                d.find_elements(By.CSS_SELECTOR, "tr.device-row"), "the fleet lists the 12 devices")
    if not rows:
        return
    ok("the fleet lists the 12 devices")
    keys = [row.get_attribute("data-key") for row in rows]
    check("sorted by key", keys == sorted(keys), keys)
    driver.find_element(By.CSS_SELECTOR, "th[data-sort=key]").click()
    reversed_rows = wait(driver, 10, lambda d: (r := d.find_elements(By.CSS_SELECTOR, "tr.device-row")) and
                         r[0].get_attribute("data-key") == keys[-1] and r, "a click on Device sorts descending")
    if reversed_rows:
        ok("a click on Device sorts descending")
    search = driver.find_element(By.CSS_SELECTOR, "input[name=q]")
    search.send_keys("SWARM000007")
    if wait(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.device-row")) == 1, "search finds one device"):
        ok("search finds one device")
    search.send_keys(Keys.BACKSPACE * len("SWARM000007"))
    wait(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.device-row")) == 12, "clearing the search shows all")


def device_timeline(driver):
    faulty = [row for row in driver.find_elements(By.CSS_SELECTOR, "tr.device-row") if row.find_elements(By.CSS_SELECTOR, "span.fault")]
    faulty[0].find_element(By.CSS_SELECTOR, "td a").click()
    timeline = wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, ".timeline li"), "a device's timeline shows")
    if timeline:
        kinds = {item.get_attribute("class") for item in timeline}
        check("the timeline holds the device's Informs", "inform" in kinds, kinds)
        check("... the campaign's RPCs and transfers, and its faults", {"rpc", "transfer", "fault"} <= kinds, kinds)
        check("its open faults are listed with a retry", driver.find_elements(By.CSS_SELECTOR, "button[data-action=retry]"))
    shot(driver, "device")


def groups(driver):
    go(driver, "#/groups")
    cards = wait(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "section.group")) == 2 and
                 d.find_elements(By.CSS_SELECTOR, "section.group"), "the groups page shows both groups")
    if not cards:
        return
    ok("the groups page shows both groups")
    for card in cards:
        masters = card.find_elements(By.CSS_SELECTOR, "tr.candidate.master")
        passed = card.find_elements(By.CSS_SELECTOR, "tr.candidate.passed-over td.reason")
        check(f"group {card.get_attribute('data-group')}: one master, elected with a reason",
              len(masters) == 1 and "elected" in masters[0].text, card.text)
        check(f"group {card.get_attribute('data-group')}: the others say why they were passed over",
              passed and all("passed over" in cell.text for cell in passed), card.text)
    shot(driver, "groups")


def start_campaign_in_form(driver, prefix):
    go(driver, "#/campaigns")
    form = wait(driver, 10, lambda d: d.find_elements(By.ID, "start-campaign"), "the campaign form shows")
    if not form:
        return None
    values = {"image": os.environ[f"{prefix}IMAGE_NAME"], "origin_url": os.environ[f"{prefix}ORIGIN_IMAGE_URL"],
              "size": os.environ[f"{prefix}IMAGE_SIZE"], "sha256": os.environ[f"{prefix}IMAGE_SHA256"], "fanout": "4"}
    for name, value in values.items():
        field = form[0].find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    form[0].find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    if not wait(driver, 10, lambda d: "#/campaigns/" in d.current_url, "the form starts a campaign and opens its page"):
        return None
    return driver.current_url.rsplit("/", 1)[-1]


def campaign_finishes(driver):
    loaded_at = driver.execute_script("return window.cascadeLoadedAt")
    campaign = start_campaign_in_form(driver, "")
    if not campaign:
        return
    ok(f"campaign {campaign} started from the form")
    seen = set()

    def finished(d):
        state = d.find_element(By.ID, "campaign-state").get_attribute("data-state")
        seen.add(state)
        return state == "done"
    if wait(driver, 90, finished, "the campaign's page shows it done"):
        ok(f"the campaign's page shows it done (states seen: {', '.join(sorted(s for s in seen if s))})")
    check("it got there without a reload of the page",
          driver.execute_script("return window.cascadeLoadedAt") == loaded_at)
    groups_rows = driver.find_elements(By.CSS_SELECTOR, "tr.group-row")
    check("progress per group: both groups", len(groups_rows) == 2, len(groups_rows))
    report = wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "#report dd.makespan"), "the report shows")
    if report:
        check("the report shows the makespan and what the origin served",
              report[0].text not in ("", "-") and "requests" in text_of(driver, "#report dd.origin"),
              text_of(driver, "#report"))
    shot(driver, "campaign")
    go(driver, "#/campaigns")
    wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.campaign-row"), "the campaign list shows it")
    shot(driver, "campaigns")


def faults(driver):
    go(driver, "#/faults")
    rows = wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.fault-row"), "the faulty device's faults are listed")
    if not rows:
        return
    ok(f"the faulty device's faults are listed ({len(rows)})")
    check("they carry the fault code 9010 and their campaign",
          all("9010" in row.text and "#" in row.text for row in rows), "\n".join(row.text for row in rows))
    shot(driver, "faults")
    before = len(rows)
    rows[0].find_element(By.CSS_SELECTOR, "button[data-action=clear]").click()
    if wait(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.fault-row")) == before - 1, "clear takes one fault off the list"):
        ok("clear takes one fault off the list")
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.fault-row")
    campaign = rows[0].find_element(By.CSS_SELECTOR, "a[href^='#/campaigns/']").text.lstrip("#")
    rows[0].find_element(By.CSS_SELECTOR, "button[data-action=retry]").click()
    if wait(driver, 10, lambda d: "devices retried" in text_of(d, ".notice.info"), "retry sends the device again"):
        ok("retry sends the device again: " + text_of(driver, ".notice.info"))
    # its campaign runs again until the device has failed once more (its downloads always fault)
    go(driver, f"#/campaigns/{campaign}")
    if wait(driver, 60, lambda d: d.find_elements(By.ID, "campaign-state") and
            d.find_element(By.ID, "campaign-state").get_attribute("data-state") == "done", "the retried campaign ends again"):
        ok(f"campaign {campaign} ran the retried device and ended again")


def campaign_cancelled(driver):
    subprocess.run(os.environ["STOP_FLEET"], shell=True, check=False)
    campaign = start_campaign_in_form(driver, "SECOND_")
    if not campaign:
        return
    if not wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, "button[data-action=cancel]"), "the running campaign offers Cancel"):
        return
    button = driver.find_element(By.CSS_SELECTOR, "button[data-action=cancel]")
    button.click()
    check("cancel asks once more", "Really" in button.text, button.text)
    button.click()
    if wait(driver, 10, lambda d: d.find_element(By.ID, "campaign-state").get_attribute("data-state") == "cancelled",
            "the second campaign shows cancelled"):
        ok(f"campaign {campaign} cancelled from its page")


def only_loopback(driver):
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp"):  # chrome:// pages are the browser's own
                hosts.add(url.split("/")[2])
    check("the console fetched nothing but 127.0.0.1", hosts and all(h.startswith("127.0.0.1:") for h in hosts), hosts)
    # the one failure meant to happen: the wrong token's 401
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and
              not ("/api/login" in entry["message"] and "401" in entry["message"])]
    check("no errors in the browser's console (CSP, scripts)", not errors, json.dumps(errors, indent=1))


def main():
    os.makedirs(SCREENSHOTS, exist_ok=True)
    driver = browser()
    try:
        if log_in(driver):
            fleet(driver)
            groups(driver)
            campaign_finishes(driver)
            go(driver, "#/fleet")
            if wait(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.device-row td span.fault")) == 1,
                    "after the campaign the fleet shows the faulty device's fault"):
                ok("after the campaign the fleet shows the faulty device's fault")
            shot(driver, "fleet")
            device_timeline(driver)
            faults(driver)
            campaign_cancelled(driver)
            only_loopback(driver)
    finally:
        driver.quit()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
