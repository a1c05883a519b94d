"""How an unreachable hub shows in output: DD201's log signatures (transformers, huggingface_hub
0.x and 1.x, requests, datasets), each anchored at a literal its occurrences contain."""

from __future__ import annotations

from devdoctor.api import Signature

HUB_HOSTS = r"(?:[\w-]{1,63}\.){0,4}(?:huggingface\.co|hf\.co|hf-mirror\.com)"
NETWORK = (
    r"NameResolutionError|NewConnectionError|ConnectTimeoutError|ProxyError|SSLError|"
    r"Failed to resolve|Read timed out|timed out|Connection refused"
)
SIGNATURES = (
    # transformers: the endpoint that failed is in the message
    Signature(
        "We couldn't connect to '",
        r"We couldn't connect to '(?P<endpoint>[^'\s]{1,2048})' to load",
        "transformers could not reach {endpoint}",
    ),
    # huggingface_hub >= 1.x logs the connection-level error (quoted) before retrying
    Signature(
        "' thrown while requesting ",
        r"' thrown while requesting (?:HEAD|GET) (?P<endpoint>https?://[^/\s]{1,256})/"
        r"(?:api/|(?:datasets/|spaces/)?[\w.-]{1,256}/[\w.-]{1,256}/resolve/)",
        "huggingface_hub could not reach {endpoint}",
    ),
    # requests (huggingface_hub 0.x), also inside a repr with escaped quotes
    Signature(
        "ConnectionPool(host=",
        r"ConnectionPool\(host=\\?'(?P<host>" + HUB_HOSTS + r")\\?', port=\d{1,5}\): "
        r"(?:Max retries exceeded.{0,2048}?(?:" + NETWORK + r")|Read timed out)",
        "huggingface_hub (requests) could not reach {host}",
    ),
    Signature(
        "Failed to resolve ",
        r"Failed to resolve \\?'(?P<host>" + HUB_HOSTS + r")\\?'",
        "{host} does not resolve",
    ),
    # LocalEntryNotFoundError's text, with or without the class name in front
    Signature(
        "An error happened while trying to locate the file",
        r"An error happened while trying to locate the files? on the Hub",
        "huggingface_hub could not reach the hub and the file is not cached",
    ),
    Signature(
        "LocalEntryNotFoundError: Got: ",
        r"LocalEntryNotFoundError: Got: (?:ConnectError|ConnectTimeout|ReadTimeout|ProxyError)",
        "huggingface_hub could not reach the hub and the files are not cached",
    ),
    Signature(
        "Connection error, and we cannot find the requested files in the ",
        r"Connection error, and we cannot find the requested files in the (?:disk cache|"
        r"cached path)",
        "an old huggingface_hub/transformers could not reach the hub",
    ),
    Signature(
        "Couldn't reach '",
        r"Couldn't reach '[^']{1,512}' on the Hub \((?:ConnectTimeout|ConnectionError|"
        r"ReadTimeout|LocalEntryNotFoundError)\)",
        "datasets could not reach the hub",
    ),
    Signature(
        "Couldn't reach ",
        r"Couldn't reach '?(?P<endpoint>https?://" + HUB_HOSTS + r")[/'\s]",
        "datasets could not reach {endpoint}",
    ),
)
