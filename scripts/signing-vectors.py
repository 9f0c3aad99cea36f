#!/usr/bin/env python3
"""Regenerates testdata/signing/*.json: signature known answers computed by Alibaba Cloud's own
Python SDK (alibabacloud-tea-openapi, the signer of the pinned Tea SDKs in
tests/conformance/requirements.txt), never by this repository's code.

Usage (any directory):
    python3 -m venv /tmp/signing-venv
    /tmp/signing-venv/bin/pip install alibabacloud-tea-openapi==0.4.6
    /tmp/signing-venv/bin/python scripts/signing-vectors.py

The SDK returns only the final Authorization header or Signature. To record the intermediate
values too (canonical request, string to sign), the SDK's own hash and HMAC entry points are
wrapped for the duration of one call: the recorded values are exactly what the SDK hashed and
signed. The inputs are fixed below, so running this twice gives the same files.
"""

import hashlib
import hmac
import json
import pathlib
import re
import types

from alibabacloud_tea_openapi import utils as sdk_utils
from alibabacloud_tea_openapi.utils import Utils
from darabonba.request import DaraRequest

SDK = "alibabacloud-tea-openapi"
OUT = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "signing"
ACS3 = "ACS3-HMAC-SHA256"


def sdk_version():
    from importlib.metadata import version

    return f"{SDK} {version(SDK)}"


def body_hash(body):
    """The x-acs-content-sha256 value, as the SDK computes it."""
    return Utils.hex_encode(Utils.hash(body.encode("utf-8"), ACS3))


def acs3_vector(name, access_key_id, secret, method, path, query, headers, body):
    """Signs one request with the SDK's get_authorization, recording what it hashed and signed."""
    payload = body_hash(body)
    headers = list(headers) + [["x-acs-content-sha256", payload]]
    request = DaraRequest()
    request.method = method
    request.pathname = path
    request.query = dict(query)
    request.headers = dict(headers)

    seen = {}
    original_hash = Utils.hash
    original_sign = sdk_utils.signature_method

    def recording_hash(raw, sign_type):
        seen["canonical_request"] = raw.decode("utf-8")
        return original_hash(raw, sign_type)

    def recording_sign(key, source, sign_type):
        seen["string_to_sign"] = source
        return original_sign(key, source, sign_type)

    Utils.hash = staticmethod(recording_hash)
    sdk_utils.signature_method = recording_sign
    try:
        authorization = Utils.get_authorization(request, ACS3, payload, access_key_id, secret)
    finally:
        Utils.hash = staticmethod(original_hash)
        sdk_utils.signature_method = original_sign

    return {
        "name": name,
        "access_key_id": access_key_id,
        "access_key_secret": secret,
        "method": method,
        "path": path,
        "query": [list(pair) for pair in query],
        "headers": [list(pair) for pair in headers],
        "body": body,
        "canonical_request": seen["canonical_request"],
        "string_to_sign": seen["string_to_sign"],
        "signature": authorization.rsplit("Signature=", 1)[1],
        "authorization": authorization,
    }


def rpc_vector(name, method, secret, params):
    """Signs one parameter set with the SDK's get_rpcsignature, recording its string to sign."""
    seen = {}

    def recording_new(key, message, digestmod):
        seen["string_to_sign"] = message.decode("utf-8")
        return hmac.new(key, message, digestmod)

    original_hmac = sdk_utils.hmac
    sdk_utils.hmac = types.SimpleNamespace(new=recording_new)
    try:
        signature = Utils.get_rpcsignature(dict(params), method, secret)
    finally:
        sdk_utils.hmac = original_hmac

    return {
        "name": name,
        "method": method,
        "access_key_secret": secret,
        "params": [list(pair) for pair in params],
        "string_to_sign": seen["string_to_sign"],
        "signature": signature,
    }


FORM = "application/x-www-form-urlencoded"

ACS3_CASES = [
    dict(
        name="ram GetRole, form body, no query",
        access_key_id="AKID",
        secret="secret",
        method="POST",
        path="/",
        query=[],
        headers=[
            ["host", "ram.aliyuncs.com"],
            ["content-type", FORM],
            ["x-acs-action", "GetRole"],
            ["x-acs-version", "2015-05-01"],
            ["x-acs-date", "2024-01-02T03:04:05Z"],
            ["x-acs-signature-nonce", "nonce-1"],
        ],
        body="RoleName=r1",
    ),
    dict(
        name="security token, query with reserved and non-ASCII values, mixed-case header names",
        access_key_id="STS.NUrbL8mBMxkkuiGb",
        secret="k8S+/zW=q~ secret",
        method="POST",
        path="/",
        query=[["b", "2 3"], ["a", "1"], ["Tilde~", "*~/é"]],
        headers=[
            ["Host", "ram.aliyuncs.com"],
            ["Content-Type", FORM],
            ["x-acs-action", "CreatePolicy"],
            ["x-acs-version", "2015-05-01"],
            ["x-acs-date", "2026-11-29T20:46:24Z"],
            ["x-acs-signature-nonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"],
            ["x-acs-security-token", "  CAIS/token+with=chars  "],
        ],
        body=(
            "Description=%E8%AF%BB%20bucket&PolicyDocument=%7B%22Version%22%3A%221%22%2C"
            "%22Statement%22%3A%5B%5D%7D&PolicyName=AliyunContainerRegistryCustomizedOSSBucketAccess"
        ),
    ),
    dict(
        name="GET with an empty body",
        access_key_id="AKID",
        secret="secret",
        method="GET",
        path="/",
        query=[["RoleName", "r1"]],
        headers=[
            ["host", "sts.cn-hangzhou.aliyuncs.com"],
            ["x-acs-action", "GetCallerIdentity"],
            ["x-acs-version", "2015-04-01"],
            ["x-acs-date", "2016-02-23T12:46:24Z"],
            ["x-acs-signature-nonce", "n"],
        ],
        body="",
    ),
]

DESCRIBE_REGIONS = [
    ["AccessKeyId", "testid"],
    ["Action", "DescribeRegions"],
    ["Format", "XML"],
    ["SignatureMethod", "HMAC-SHA1"],
    ["SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"],
    ["SignatureVersion", "1.0"],
    ["Timestamp", "2016-02-23T12:46:24Z"],
    ["Version", "2014-05-26"],
]

EMPTY_VALUES = [
    ["AccessKeyId", "accessKeyId"],
    ["Action", ""],
    ["Format", "JSON"],
    ["RegionId", "regionId"],
    ["SignatureMethod", "HMAC-SHA1"],
    ["SignatureNonce", "MOCK_UUID"],
    ["SignatureType", ""],
    ["SignatureVersion", "1.0"],
    ["Timestamp", "mock date"],
    ["Version", ""],
]

RPC_CASES = [
    dict(name="DescribeRegions GET", method="GET", secret="testsecret", params=DESCRIBE_REGIONS),
    dict(name="DescribeRegions POST", method="POST", secret="testsecret", params=DESCRIBE_REGIONS),
    dict(
        name="empty values and a space",
        method="GET",
        secret="accessKeySecret",
        params=EMPTY_VALUES,
    ),
    dict(
        name="empty values with a security token",
        method="GET",
        secret="accessKeySecret",
        params=EMPTY_VALUES + [["SecurityToken", "accessKeyStsToken"]],
    ),
    dict(
        name="RAM CreatePolicy with a JSON document, non-ASCII and reserved characters, unsorted",
        method="POST",
        secret="k8S+/zW=q~ secret",
        params=[
            ["PolicyName", "AliyunContainerRegistryCustomizedOSSBucketAccess"],
            ["PolicyDocument", '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*"}]}'],
            ["Description", "读 bucket *~/+=&"],
            ["Action", "CreatePolicy"],
            ["Version", "2015-05-01"],
            ["Format", "JSON"],
            ["AccessKeyId", "STS.NUrbL8mBMxkkuiGb"],
            ["SecurityToken", "CAIS/token+with=chars"],
            ["SignatureMethod", "HMAC-SHA1"],
            ["SignatureVersion", "1.0"],
            ["SignatureNonce", "nonce-42"],
            ["Timestamp", "2026-11-29T20:46:24Z"],
        ],
    ),
]


def write(name, vectors):
    document = {
        "generated_by": f"scripts/signing-vectors.py with {sdk_version()}",
        "vectors": vectors,
    }
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # One line per name/value pair keeps the files readable.
    string = r'"(?:[^"\\]|\\.)*"'
    text = re.sub(rf"\[\n\s+({string}),\n\s+({string})\n\s+\]", r"[\1, \2]", text)
    path = OUT / name
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(vectors)} vectors)")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write("acs3-hmac-sha256.json", [acs3_vector(**case) for case in ACS3_CASES])
    write("rpc-hmac-sha1.json", [rpc_vector(**case) for case in RPC_CASES])
    # A check on the recording itself: the recorded string to sign must give the SDK's answer.
    for vector in json.loads((OUT / "acs3-hmac-sha256.json").read_text("utf-8"))["vectors"]:
        mac = hmac.new(
            vector["access_key_secret"].encode(), vector["string_to_sign"].encode(), hashlib.sha256
        )
        assert mac.hexdigest() == vector["signature"], vector["name"]


if __name__ == "__main__":
    main()
