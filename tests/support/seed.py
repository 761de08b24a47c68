"""Seeds a moto server with an organization and out-of-band CloudTrail state.

Reads a JSON description on stdin, prints JSON of what it created. Run with the
project venv's python (boto3 ships with moto). Usage: seed.py ENDPOINT_URL

Input (every key optional):
  {"ous": ["Workloads/Prod", ...],
   "management_tags": {"environment": "prod"},
   "accounts": [{"name", "email", "ou": "Workloads/Prod" | "", "tags": {}, "closed": false}],
   "roles": [{"account": REF, "name": "RoleName"}],          # IAM roles (AssumeRole targets)
   "buckets": [{"account": REF, "name": "b", "region": "us-east-1"}],
   "topics": [{"account": REF, "name": "t", "region": "us-east-1"}],
   "trails": [{"account": REF, "region", "name", "bucket", "s3_key_prefix", "sns_topic",
               "kms_key_id", "cloudwatch_logs": {"log_group_arn", "role_arn"},
               "multi_region", "global_service_events", "log_file_validation",
               "event_selectors": [API shape], "advanced_event_selectors": [API shape],
               "insights": ["ApiCallRateInsight"], "tags": {}, "logging": true}]}
REF is "management", a seeded account's name, or a 12-digit account id.

Output: {"management_id", "root_id", "accounts": {name: id}, "ous": {path: id},
         "trails": {"ACCOUNT_ID/REGION/NAME": arn}}
"""

import json
import sys

import boto3

ENDPOINT = sys.argv[1]
ORG_ROLE = "OrganizationAccountAccessRole"


def client(service, region="us-east-1", creds=None):
    kwargs = {"endpoint_url": ENDPOINT, "region_name": region}
    if creds is None:
        kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    else:
        kwargs.update(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return boto3.client(service, **kwargs)


def main():
    desc = json.load(sys.stdin)
    org = client("organizations")
    created = org.create_organization(FeatureSet="ALL")["Organization"]
    management_id = created["MasterAccountId"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    if desc.get("management_tags"):
        tags = [{"Key": k, "Value": v} for k, v in desc["management_tags"].items()]
        org.tag_resource(ResourceId=management_id, Tags=tags)

    ous = {"": root_id}
    for path in desc.get("ous", []):
        parts = [p for p in path.split("/") if p]
        for i in range(len(parts)):
            sub = "/".join(parts[: i + 1])
            if sub not in ous:
                parent = ous["/".join(parts[:i])]
                ous[sub] = org.create_organizational_unit(ParentId=parent, Name=parts[i])[
                    "OrganizationalUnit"
                ]["Id"]

    accounts = {}
    for acct in desc.get("accounts", []):
        name = acct["name"]
        email = acct.get("email") or f"{name}@example.com"
        tags = [{"Key": k, "Value": v} for k, v in acct.get("tags", {}).items()]
        kwargs = {"AccountName": name, "Email": email}
        if tags:
            kwargs["Tags"] = tags
        status = org.create_account(**kwargs)["CreateAccountStatus"]
        account_id = status["AccountId"]
        accounts[name] = account_id
        ou = acct.get("ou", "")
        if ou:
            org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ous[ou])

    creds_cache = {}

    def ref(r):
        if r == "management":
            return management_id
        return accounts.get(r, r)

    def creds_for(account_id):
        if account_id == management_id:
            return None
        if account_id not in creds_cache:
            sts = client("sts")
            creds_cache[account_id] = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{ORG_ROLE}", RoleSessionName="seed"
            )["Credentials"]
        return creds_cache[account_id]

    def acct_client(service, r, region="us-east-1"):
        return client(service, region, creds_for(ref(r)))

    for role in desc.get("roles", []):
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management_id}:root"},
                 "Action": "sts:AssumeRole"}
            ],
        }
        acct_client("iam", role["account"]).create_role(
            RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(trust)
        )

    for b in desc.get("buckets", []):
        region = b.get("region", "us-east-1")
        s3 = acct_client("s3", b["account"], region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=b["name"])
        else:
            s3.create_bucket(Bucket=b["name"], CreateBucketConfiguration={"LocationConstraint": region})

    for t in desc.get("topics", []):
        acct_client("sns", t["account"], t.get("region", "us-east-1")).create_topic(Name=t["name"])

    for c in closed_accounts(desc, accounts):
        org.close_account(AccountId=c)

    trails = {}
    for t in desc.get("trails", []):
        account_id = ref(t["account"])
        region = t["region"]
        ct = client("cloudtrail", region, creds_for(account_id))
        kwargs = {"Name": t["name"], "S3BucketName": t["bucket"]}
        optional = {
            "s3_key_prefix": "S3KeyPrefix",
            "sns_topic": "SnsTopicName",
            "kms_key_id": "KmsKeyId",
            "multi_region": "IsMultiRegionTrail",
            "global_service_events": "IncludeGlobalServiceEvents",
            "log_file_validation": "EnableLogFileValidation",
        }
        for key, api in optional.items():
            if t.get(key) is not None:
                kwargs[api] = t[key]
        if t.get("cloudwatch_logs"):
            kwargs["CloudWatchLogsLogGroupArn"] = t["cloudwatch_logs"]["log_group_arn"]
            kwargs["CloudWatchLogsRoleArn"] = t["cloudwatch_logs"]["role_arn"]
        if t.get("tags"):
            kwargs["TagsList"] = [{"Key": k, "Value": v} for k, v in t["tags"].items()]
        arn = ct.create_trail(**kwargs)["TrailARN"]
        if t.get("event_selectors") is not None:
            ct.put_event_selectors(TrailName=arn, EventSelectors=t["event_selectors"])
        if t.get("advanced_event_selectors") is not None:
            ct.put_event_selectors(TrailName=arn, AdvancedEventSelectors=t["advanced_event_selectors"])
        if t.get("insights"):
            ct.put_insight_selectors(
                TrailName=arn, InsightSelectors=[{"InsightType": i} for i in t["insights"]]
            )
        if t.get("logging", True):
            ct.start_logging(Name=arn)
        trails[f"{account_id}/{region}/{t['name']}"] = arn

    ous.pop("")
    json.dump(
        {"management_id": management_id, "root_id": root_id, "accounts": accounts,
         "ous": ous, "trails": trails},
        sys.stdout,
    )


def closed_accounts(desc, accounts):
    return [accounts[a["name"]] for a in desc.get("accounts", []) if a.get("closed")]


if __name__ == "__main__":
    main()
