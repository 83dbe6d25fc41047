"""Running a page script of t/e2e/browser/ (Node.js + npm playwright-core driving Debian's chromium)
from a test, and keeping its screenshots as artifacts."""
import json
import os
import shutil
import subprocess

from .procs import REPO

BROWSER_DIR = os.path.join(REPO, "t", "e2e", "browser")
CHROMIUM = os.environ.get("SELMID_CHROMIUM", "/usr/bin/chromium")


def run_script(stack, script, cfg):
    """Runs t/e2e/browser/<script> with cfg (JSON) and returns the JSON object its last output line
    holds; its stderr is kept as <test dir>/<script>.log, the result as <script>.json."""
    node = os.environ.get("NODE", "node")
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run tools/install-deps.sh"
    assert os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")), \
        "t/e2e/browser/node_modules is missing: run tools/install-deps.sh (npm ci)"
    p = subprocess.run([node, os.path.join(BROWSER_DIR, script), json.dumps(cfg)], cwd=BROWSER_DIR,
                       capture_output=True, text=True, timeout=300)
    with open(os.path.join(stack.dir, script + ".log"), "w") as f:
        f.write(p.stderr)
    assert p.returncode == 0, f"{script} failed:\n{p.stderr[-4000:]}"
    res = json.loads(p.stdout.strip().splitlines()[-1])
    with open(os.path.join(stack.dir, script + ".json"), "w") as f:
        json.dump(res, f, ensure_ascii=False, indent=1)
    return res


def keep_artifacts(paths):
    """Copies screenshots to $SELMID_ARTIFACTS (default t/e2e/artifacts/)."""
    dest = os.environ.get("SELMID_ARTIFACTS") or os.path.join(REPO, "t", "e2e", "artifacts")
    os.makedirs(dest, exist_ok=True)
    for p in paths:
        shutil.copy(p, dest)
