"""Demo helper: writes the configuration of the local SNS stand-ins (t/e2e/standins/sns.js) and
prints the <SelmidProvider> blocks that point mod_selmid at them.

Usage: sns_conf.py DEMO_DIR HTTPD_PORT STANDIN_PORT
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "t", "e2e"))

from lib.sns import SNS  # noqa: E402

LABELS = {  # provider type -> (English, Japanese) chooser labels
    "line": ("Log in with LINE (demo stand-in)", "LINEでログイン（デモ用スタンドイン）"),
    "google": ("Sign in with Google (demo stand-in)", "Googleでログイン（デモ用スタンドイン）"),
    "yahoojp": ("Log in with Yahoo! JAPAN ID (demo stand-in)", "Yahoo! JAPAN IDでログイン（デモ用スタンドイン）"),
    "facebook": ("Log in with Facebook (demo stand-in)", "Facebookでログイン（デモ用スタンドイン）"),
}


def main():
    demo, hport, sport = sys.argv[1], sys.argv[2], sys.argv[3]
    sns = SNS(demo, [f"http://127.0.0.1:{hport}/selmid/callback"], name="sns")
    sns.write_config()
    sns.base = f"http://127.0.0.1:{sport}"
    for provider, (en, ja) in LABELS.items():
        print(f"<SelmidProvider {provider}>")
        for line in sns.provider_conf(provider):
            print(f"    {line}")
        print(f'    SelmidLabel en "{en}"')
        print(f'    SelmidLabel ja "{ja}"')
        print("</SelmidProvider>")


if __name__ == "__main__":
    main()
