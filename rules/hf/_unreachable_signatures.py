"""How an unreachable hub shows in output (DD201's log signatures).

Two kinds. The hub's own libraries say so in their words (transformers, huggingface_hub 0.x to
2.x, datasets): those lines are enough. Everything else is a network failure in some layer's or
client's words — urllib3, httpx, aiohttp, Rust (hf_xet, reqwest), Go, Node, curl, git, wget, an
errno or WinError number in any language, a certificate for another company's domain (a
poisoned DNS answer) — which counts when its incident (the traceback or log block) names the hub:
a hub host, or a hub library's frame. A failure that names another host is that host's problem.
"""

from __future__ import annotations

import re

from devdoctor.api import Signature

HUB_HOSTS = r"(?:[\w-]{1,63}\.){0,4}(?:huggingface\.co|hf\.co|hf-mirror\.com)(?![\w-]|\.\w)"
# In an incident: the hub named by host, by library frame or by the call that downloads.
HUB_EVIDENCE = (
    r"huggingface\.co|hf\.co\b|hf-mirror\.com|huggingface_hub|hf_hub_download|"
    r"snapshot_download|from_pretrained|load_dataset|hf_xet|xet[_-]core|cas_client|"
    r"transformers[/\\.]utils[/\\.]hub|datasets[/\\.](?:load|utils[/\\.]file_utils)\b|"
    r"huggingface-cli|\bhf download\b|HF_ENDPOINT"
)
# A failing line that names only another host is about that host.
OTHER_HOST = (
    r"(?:https?://|host=['\"]?|host |connect to |resolve host:? |lookup |Resolving |"
    r"Connecting to |ENOTFOUND |EAI_AGAIN |request to https?://)"
    r"(?!" + HUB_HOSTS + r")(?:[\w-]{1,63}\.){1,6}[a-z]{2,24}(?![\w-])"
)

# A certificate the client does not trust (a TLS-intercepting proxy's, an expired one): the
# hub answered; that is tls-interception-ca's problem, not an unreachable hub.
UNTRUSTED = (
    r"self[- ]signed certificate|unable to get (?:the )?local issuer|certificate has expired|"
    r"SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER|CERT_HAS_EXPIRED"
)

# Network failures, each as (literal that starts it, what must follow). Errno and WinError
# numbers are what stays the same when the OS prints its message in another language.
ERRNO = r"-2|-3|-5|-9|-65|8|51|54|60|61|64|65|101|103|104|110|111|113|11001|11002|11004"
WINERROR = r"10050|10051|10053|10054|10060|10061|10064|10065|11001|11002|11004"
FAILURES = [
    ("Errno", rf"\s?(?:{ERRNO})(?!\d)"),
    ("WinError", rf"\s?(?:{WINERROR})(?!\d)"),
    ("os error", r" (?:101|104|110|111|113|10060|10061|11001)(?!\d)"),
    *(
        (phrase, "")
        for phrase in (
            # the OS, in English
            "Network is unreachable",
            "No route to host",
            "Connection refused",
            "Connection reset",
            "Connection aborted",
            "Connection timed out",
            "Operation timed out",
            "Name or service not known",
            "Temporary failure in name resolution",
            "No address associated with hostname",
            "nodename nor servname",
            "getaddrinfo failed",
            # Python's clients: requests/urllib3, httpx, aiohttp
            "Failed to establish a new connection",
            "NameResolutionError",
            "NewConnectionError",
            "ConnectTimeout",
            "ReadTimeout",
            "ConnectError",
            "ProxyError",
            "Tunnel connection failed",
            "RemoteDisconnected",
            "Remote end closed connection",
            "All connection attempts failed",
            "Cannot connect to host",
            "ClientConnectorError",
            "ServerDisconnectedError",
            "Failed to resolve",
            "timed out",
            # Rust (hf_xet, reqwest, hyper), Go, Node, curl/git, wget
            "error sending request",
            "error trying to connect",
            "tcp connect error",
            "dns error",
            "failed to lookup address",
            "NetworkUnreachable",
            "ConnectionRefused",
            "ConnectionReset",
            "HostUnreachable",
            "kind: TimedOut",
            "no such host",
            "server misbehaving",
            "dial tcp",
            "i/o timeout",
            "ENOTFOUND",
            "EAI_AGAIN",
            "ETIMEDOUT",
            "ECONNREFUSED",
            "ECONNRESET",
            "ENETUNREACH",
            "EHOSTUNREACH",
            "socket hang up",
            "fetch failed",
            "Could not resolve host",
            "unable to resolve host",
            "Failed to connect to",
            "Couldn't connect to server",
            "Timeout was reached",
            "Resolving timed out",
            # TLS that failed, and a certificate for another domain (a poisoned DNS answer)
            "SSLError",
            "SSLEOFError",
            "SSLZeroReturnError",
            "EOF occurred in violation of protocol",
            "UNEXPECTED_EOF_WHILE_READING",
            "wrong version number",
            "handshake operation timed out",
            "Hostname mismatch",
            "doesn't match either of",
            "does not match certificate",
            "no alternative certificate subject name",
            "certificate is valid for",
            "certificate is not valid for",
        )
    ),
]


def _hint(literal: str) -> str:
    """The longest run of hint characters in the literal (no quotes or colons)."""
    return max(re.split(r"[^\w .\-/=@+#]+", literal), key=len).strip()


NETWORK_FAILURE = Signature(
    tuple(dict.fromkeys(_hint(literal) for literal, _ in FAILURES)),
    # Each alternative may start at its hint (a hint is a run inside its literal).
    r"(?:" + "|".join(re.escape(_hint(lit)) + tail for lit, tail in FAILURES) + ")",
    "a network error on the way to the hub",
    flags=re.IGNORECASE,
    context=HUB_EVIDENCE,
    unless=OTHER_HOST + "|" + UNTRUSTED,
)

SIGNATURES = (
    # transformers: the endpoint that failed is in the message
    Signature(
        "connect to",
        r"connect to '(?P<endpoint>https?://[^'\s]{1,2048})' to load",
        "transformers could not reach {endpoint}",
    ),
    # huggingface_hub >= 1.x logs the connection-level error, quoted, before retrying
    Signature(
        "thrown while requesting",
        r"(?<=' )thrown while requesting (?:HEAD|GET) (?P<endpoint>https?://[^/\s]{1,256})/"
        r"(?:api/|(?:datasets/|spaces/)?[\w.-]{1,256}/[\w.-]{1,256}/resolve/)",
        "huggingface_hub could not reach {endpoint}",
    ),
    # requests (huggingface_hub 0.x)
    Signature(
        "ConnectionPool",
        r"ConnectionPool\(host='(?P<host>" + HUB_HOSTS + r")', port=\d{1,5}\): "
        r"(?:Max retries exceeded.{0,2048}?(?:NameResolution|NewConnection|ConnectTimeout|Proxy|"
        r"SSL|Failed to resolve|Read timed out|timed out|Connection refused|Errno|WinError)|"
        r"Read timed out)",
        "huggingface_hub (requests) could not reach {host}",
        unless=UNTRUSTED,
    ),
    Signature(
        "Failed to resolve",
        r"Failed to resolve '(?P<host>" + HUB_HOSTS + r")'",
        "{host} does not resolve",
    ),
    # LocalEntryNotFoundError's text, with or without the class name in front
    Signature(
        "An error happened while trying to locate the file",
        r"An error happened while trying to locate the files? on the Hub",
        "huggingface_hub could not reach the hub and the file is not cached",
    ),
    Signature(
        "LocalEntryNotFoundError",
        r"LocalEntryNotFoundError: Got: (?:ConnectError|ConnectTimeout|ReadTimeout|ProxyError)",
        "huggingface_hub could not reach the hub and the files are not cached",
    ),
    Signature(
        "cannot find the requested files in the",
        r"cannot find the requested files in the (?:disk cache|cached path)",
        "an old huggingface_hub/transformers could not reach the hub",
    ),
    Signature(
        "Distant resource does not seem to be on",
        r"Distant resource does not seem to be on (?P<host>" + HUB_HOSTS + ")",
        "what answered for {host} was not the hub (a proxy or firewall in the way?)",
    ),
    # datasets
    Signature(
        "on the Hub",
        r"on the Hub \((?:ConnectTimeout|ConnectionError|ReadTimeout|LocalEntryNotFoundError|"
        r"SSLError|ProxyError)",
        "datasets could not reach the hub",
    ),
    Signature(
        "reach",
        r"(?<=ouldn't )reach '?(?P<endpoint>https?://" + HUB_HOSTS + r")[/'\s]",
        "datasets could not reach {endpoint}",
    ),
    NETWORK_FAILURE,
    # transformers' "Can't load ... If you were trying to load it from '<hub>/models'": also
    # printed for a wrong model id or a local folder of the same name.
    Signature(
        "t load",
        r"t load (?:the )?[\w ]{1,40}? for '(?P<model>[^'\s]{1,256})'\.? {0,2}"
        r"(?:If you were trying to load it from|Make sure that)",
        "transformers could not load {model}: perhaps the hub was unreachable",
        certain=False,
        to_tell="Is {model} a model id on the hub (spelling, a private or gated repo)? Is there "
        "a local folder named {model} in the working directory? Does the hub answer here: "
        "devdoctor check hf-endpoint-unreachable",
    ),
)
