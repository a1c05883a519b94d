# ruff: noqa: RUF001 -- full-width and curly punctuation is what these tests are about
"""DD201 in the forms users paste: a generic network error whose traceback names the hub, the
layer below in its own words, other clients, translated and full-width text, hf_xet logs, a
poisoned DNS answer, wrapped and truncated lines; and the look-alikes that must stay silent."""

from __future__ import annotations

import io

import pytest

from devdoctor.core.registry import load
from devdoctor.logs.scanner import Match, Scanner

RULES = load().rules


def scan(text: str) -> list[Match]:
    scanner = Scanner(RULES)
    scanner.scan("<paste>", io.BufferedReader(io.BytesIO(text.encode())))
    return scanner.matches()


def traceback(*frames: str, error: str) -> str:
    lines = ["Traceback (most recent call last):"]
    for path, call in frames:
        lines += [f'  File "{path}", line 12, in f', f"    {call}"]
    return "\n".join([*lines, error]) + "\n"


SITE = "/home/u/.venv/lib/python3.10/site-packages"
HUB_FRAME = (f"{SITE}/huggingface_hub/file_download.py", "r = _request_wrapper(")
USER_FRAME = ("/home/u/train.py", 'model = AutoModel.from_pretrained("bert-base-uncased")')
SOCKET_FRAME = ("/usr/lib/python3.10/socket.py", "raise err")

CERTAIN = {
    # a generic error; only the traceback says it was the hub
    "errno in a hub traceback": traceback(
        USER_FRAME, HUB_FRAME, SOCKET_FRAME, error="OSError: [Errno 101] Network is unreachable"
    ),
    "chained causes": traceback(SOCKET_FRAME, error="ConnectionResetError: [Errno 104] x")
    + "\nThe above exception was the direct cause of the following exception:\n\n"
    + traceback(USER_FRAME, error="httpx.ReadError: [Errno 104] Connection reset by peer"),
    "httpx all attempts": traceback(
        ("/app/main.py", 'snapshot_download("org/model")'),
        error="httpx.ConnectError: All connection attempts failed",
    ),
    # the layer below names the host in its own words
    "aiohttp": "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
    "huggingface.co:443 ssl:default [Connection timed out]\n",
    "urllib3 resolve": "urllib3.exceptions.NameResolutionError: <urllib3.connection."
    "HTTPSConnection object at 0x7f3a>: Failed to resolve 'huggingface.co' ([Errno -3] "
    "Temporary failure in name resolution)\n",
    "connect timeout": "urllib3.exceptions.ConnectTimeoutError: (<urllib3.connection."
    "HTTPSConnection object at 0x7f>, 'Connection to cdn-lfs.hf.co timed out. (connect "
    "timeout=10)')\n",
    # the OS message in another language: the number is the same
    "russian errno": traceback(USER_FRAME, HUB_FRAME, error="OSError: [Errno 101] Сеть недоступна"),
    "chinese winerror": 'requests.exceptions.ConnectionError: (MaxRetryError("HTTPSConnection'
    "Pool(host='huggingface.co', port=443): Max retries exceeded with url: /api/models/x "
    "(Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x00000>: "
    "Failed to establish a new connection: [WinError 10060] 由于连接方在一段时间后没有正确答复"
    "或连接的主机没有反应，连接尝试失败。'))\"), '(Request ID: 9d)')\n",
    "full-width brackets": traceback(
        USER_FRAME, error="OSError：［WinError 10051］ 向一个无法连接的网络尝试了一个套接字操作。"
    ),
    "curly quotes and full-width comma": "OSError: We couldn’t connect to ‘https://huggingface"
    ".co’ to load this file，couldn’t find it in the cached files\n",
    # the hub's transfer layer and clients that are not Python
    "hf_xet json": '{"timestamp":"2025-07-14T09:12:44.120Z","level":"ERROR","fields":{"message":'
    '"error fetching reconstruction","error":"Reqwest(reqwest::Error { kind: Request, url: '
    '\\"https://cas-server.xethub.hf.co/reconstruction/8f2a\\", source: hyper_util::client::'
    'legacy::Error(Connect, ConnectError(\\"dns error\\", Custom { kind: Uncategorized, error: '
    '\\"failed to lookup address information: Temporary failure in name resolution\\" })) })"},'
    '"target":"cas_client::http_client"}\n',
    "hf_xet timestamped": "2025-07-14T09:12:44.120441Z  WARN cas_client::retry_wrapper: Retry "
    'attempt #2. error=reqwest::Error { kind: Request, url: "https://cas-bridge.xethub.hf.co/'
    'xet-bridge-us/6f", source: hyper_util::client::legacy::Error(Connect, ConnectError("tcp '
    'connect error", Os { code: 110, kind: TimedOut, message: "Connection timed out" })) }\n',
    "go": 'Error: Get "https://huggingface.co/api/models/meta-llama/Llama-3.1-8B": dial tcp: '
    "lookup huggingface.co on 127.0.0.53:53: server misbehaving\n",
    "node": "FetchError: request to https://huggingface.co/api/models/Xenova/gpt2 failed, "
    "reason: getaddrinfo ENOTFOUND huggingface.co\n",
    "node cause in a block": "TypeError: fetch failed\n    at node:internal/deps/undici:12345\n"
    "  [cause]: ConnectTimeoutError: Connect Timeout Error (attempted address: "
    "huggingface.co:443, timeout: 10000ms)\n",
    "curl": "curl: (6) Could not resolve host: huggingface.co\n",
    "git": "fatal: unable to access 'https://huggingface.co/datasets/org/data/': Failed to "
    "connect to huggingface.co port 443 after 21045 ms: Couldn't connect to server\n",
    "wget": "Resolving huggingface.co (huggingface.co)... failed: Temporary failure in name "
    "resolution.\nwget: unable to resolve host address 'huggingface.co'\n",
    # a poisoned DNS answer: a certificate for another company's domain
    "hostname mismatch": "requests.exceptions.SSLError: HTTPSConnectionPool(host='huggingface."
    "co', port=443): Max retries exceeded with url: /x/resolve/main/config.json (Caused by "
    'SSLError(SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
    "failed: Hostname mismatch, certificate is not valid for 'huggingface.co'. (_ssl.c:1007)\")))\n",
    "go x509": "x509: certificate is valid for *.facebook.com, *.facebook.net, not huggingface.co\n",
    # truncated (an issue title) and wrapped at the terminal width
    "truncated title": "OSError: We couldn't connect to 'https://huggingface.co' to load this "
    "file, couldn't find it in the cac…\n",
    "wrapped at 80": "OSError: We couldn't connect to 'https://huggingface.co' to load this file,"
    " co\nuldn't find it in the cached files and it looks like x is not the path\n",
    "wrapped url": "2024-05-01 12:00:00 ERROR OSError: We couldn't connect to 'https://huggingfa"
    "\nce.co' to load this file\n",
}

LOOK_ALIKES = {
    "distributed rendezvous": traceback(
        (f"{SITE}/transformers/trainer.py", "self.accelerator.prepare(model)"),
        error="torch.distributed.DistNetworkError: The client socket has timed out after "
        "1800000ms while trying to connect to (10.0.0.1, 29500).",
    ),
    "nccl": "NCCL WARN NET/Socket : peer 10.0.0.2<58014> connection reset by peer\n",
    "wandb in a trainer": traceback(
        (f"{SITE}/transformers/integrations/integration_utils.py", "wandb.init()"),
        error="requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.wandb.ai', "
        "port=443): Max retries exceeded with url: /graphql (Caused by NewConnectionError('<"
        "urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new "
        "connection: [Errno 101] Network is unreachable'))",
    ),
    "dataset script on github": traceback(
        ("/app/prep.py", 'load_dataset("squad")'),
        (f"{SITE}/datasets/load.py", "return cached_path(url)"),
        error="ConnectionError: Couldn't reach https://raw.githubusercontent.com/huggingface/"
        'datasets/1.18.0/datasets/squad/squad.py (ConnectionError(MaxRetryError("HTTPSConnection'
        "Pool(host='raw.githubusercontent.com', port=443): Max retries exceeded (Caused by "
        "NewConnectionError(': [Errno 110] Connection timed out'))\")))",
    ),
    "pip retrying": "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, "
    "status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3."
    "connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno "
    "101] Network is unreachable')': /simple/transformers/\n",
    "unauthorized": "huggingface_hub.errors.HfHubHTTPError: 401 Client Error: Unauthorized for "
    "url: https://huggingface.co/api/whoami-v2\n",
    "rate limited": "HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded "
    "with url: /api/models/x (Caused by ResponseError('too many 429 error responses'))\n",
    "outage": "huggingface_hub.errors.HfHubHTTPError: 504 Server Error: Gateway Time-out for "
    "url: https://huggingface.co/api/models/gpt2\n",
    "intercepting proxy": "SSLError: HTTPSConnectionPool(host='huggingface.co', port=443): Max "
    "retries exceeded with url: /api/models/x (Caused by SSLError(SSLCertVerificationError(1, "
    "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer "
    "certificate (_ssl.c:1006)')))\n",
    "a hub info line, then another host's failure": "Downloading https://huggingface.co/gpt2\n"
    + "\n" * 2
    + "psycopg2.OperationalError: connection to server at 10.0.0.5 port 5432 failed: "
    "Connection refused\n",
}


@pytest.mark.parametrize("text", CERTAIN.values(), ids=list(CERTAIN))
def test_recognised_as_an_unreachable_hub(text: str) -> None:
    found = scan(text)
    assert [(m.rule.name, m.certain) for m in found] == [("hf-endpoint-unreachable", True)]


@pytest.mark.parametrize("text", LOOK_ALIKES.values(), ids=list(LOOK_ALIKES))
def test_look_alikes_are_not_an_unreachable_hub(text: str) -> None:
    assert "hf-endpoint-unreachable" not in {m.rule.name for m in scan(text)}


def test_one_traceback_is_one_finding() -> None:
    """Three layers of the same failure in one traceback: one problem, not three."""
    text = (
        traceback(SOCKET_FRAME, error="OSError: [Errno -3] Temporary failure in name resolution")
        + "\nDuring handling of the above exception, another exception occurred:\n\n"
        + traceback(
            USER_FRAME,
            error="requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co'"
            ", port=443): Max retries exceeded with url: /api/models/x (Caused by "
            "NameResolutionError(\"Failed to resolve 'huggingface.co'\"))",
        )
        + "OSError: We couldn't connect to 'https://huggingface.co' to load this file\n"
    )
    [match] = scan(text)
    assert match.count == 1 and match.first_line == 11  # the most specific line


def test_the_same_error_twice_is_counted() -> None:
    one = traceback(USER_FRAME, error="OSError: [Errno 101] Network is unreachable")
    [match] = scan(one + "\nretrying\n\n" + one)
    assert match.count == 2 and match.first_line == 4


def test_only_probably_the_network_says_how_to_tell() -> None:
    line = (
        "OSError: Can't load tokenizer for 'bert-base-uncsed'. If you were trying to load it "
        "from 'https://huggingface.co/models', make sure you don't have a local directory with "
        "the same name. Otherwise, make sure 'bert-base-uncsed' is the correct path.\n"
    )
    [match] = scan(line)
    assert not match.certain and match.facts["model"] == "bert-base-uncsed"
    assert "bert-base-uncsed" in match.to_tell
    assert "devdoctor check hf-endpoint-unreachable" in match.to_tell
    # with the network error in the same traceback it is certain, and one finding
    [match] = scan(
        traceback(USER_FRAME, error="OSError: [Errno 101] Network is unreachable") + line
    )
    assert match.certain and match.count == 1
