"""Reads moto state back with boto3, independent of trailform's own reader.

Usage: boto_read.py ENDPOINT_URL ACCOUNT_ID REGION < SCRIPT
The script runs with `client(service)` bound to ACCOUNT_ID (the management account's
caller credentials when ACCOUNT_ID is the management account, else an assumed
OrganizationAccountAccessRole) in REGION, and `trails_dump()` which describes every
trail homed in REGION with selectors, insights, status and tags. It must assign
`result`; this prints it as JSON.
"""

import json
import sys

import boto3

ENDPOINT, ACCOUNT, REGION = sys.argv[1], sys.argv[2], sys.argv[3]


def _base(service, region=REGION, **creds):
    creds = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=region, **creds)


def _creds():
    management = _base("organizations").describe_organization()["Organization"]["MasterAccountId"]
    if ACCOUNT == management:
        return {}
    c = _base("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole",
        RoleSessionName="boto-read",
    )["Credentials"]
    return {
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"],
    }


CREDS = _creds()


def client(service, region=REGION):
    return _base(service, region, **CREDS)


def trails_dump():
    ct = client("cloudtrail")
    out = []
    for t in ct.describe_trails(includeShadowTrails=False)["trailList"]:
        arn = t["TrailARN"]
        sel = ct.get_event_selectors(TrailName=arn)
        try:
            insights = ct.get_insight_selectors(TrailName=arn).get("InsightSelectors", [])
        except ct.exceptions.InsightNotEnabledException:
            insights = []
        status = ct.get_trail_status(Name=arn)
        tags = ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0].get("TagsList", [])
        out.append({
            "trail": t,
            "event_selectors": sel.get("EventSelectors", []),
            "advanced_event_selectors": sel.get("AdvancedEventSelectors", []),
            "insights": [i["InsightType"] for i in insights],
            "is_logging": status["IsLogging"],
            "tags": {x["Key"]: x["Value"] for x in tags},
        })
    return out


scope = {"client": client, "trails_dump": trails_dump, "result": None}
exec(sys.stdin.read(), scope)
json.dump(scope["result"], sys.stdout, default=str)
