"""Network benchmark of trailform against moto behind a latency-adding loopback proxy.

Run through bench/run.sh (which installs the venv and builds trailform in release):

    bench/run.sh [--accounts 200] [--regions 2] [--latency-ms 40] [--concurrency 16,64]
                 [--quick] [--json FILE]

One run:
 1. starts moto (tests/support/moto_launcher.py) and tests/support/faultproxy.py in front
    of it with a fixed latency per request and no faults, both on 127.0.0.1;
 2. seeds N accounts in nested OUs and one S3 bucket with tests/support/seed.py, directly
    against moto (not through the proxy);
 3. writes a spec (one organization trail + one account trail per account and region,
    advanced selectors and tags, targeting the OUs) into a temporary directory;
 4. measures moto's own ceiling in requests/second (concurrent DescribeTrails, directly);
 5. at each concurrency: `trailform apply --auto-approve` from empty, then
    `trailform plan --detailed-exitcode` on the converged organization (must exit 0);
    wall time, requests by operation (the proxy's counters), peak RSS of trailform;
 6. the reads a plain sequential boto3 script does, through the same proxy, timed;
 7. prints a markdown report on stdout (progress on stderr), and JSON with --json.

Everything it starts it kills, also on error and Ctrl-C. All traffic stays on 127.0.0.1.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPPORT = os.path.join(ROOT, "tests", "support")
PYTHON = sys.executable
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1",
           "ap-northeast-1", "sa-east-1", "ca-central-1"]
# Leaf OUs the accounts are spread over (parents are created by seed.py).
LEAF_OUS = ["Workloads/Prod/Payments", "Workloads/Prod/Web", "Workloads/Dev",
            "Sandbox", "Infrastructure/Shared"]
TARGET_OUS = ["Workloads", "Sandbox", "Infrastructure"]
BUCKET = "bench-cloudtrail-logs"
ORG_TRAIL = "bench-org-audit"
ACCOUNT_TRAIL = "bench-data-events"
ROLE = "OrganizationAccountAccessRole"
# Organizations and the header calls are sequential in trailform's walk (design.md §3).
SEQUENTIAL_OPS = {"GetCallerIdentity", "DescribeOrganization", "ListRoots", "ListAccounts",
                  "ListAccountsForParent", "ListOrganizationalUnitsForParent"}
ORG_OPS = SEQUENTIAL_OPS | {"ListParents", "ListTagsForResource", "DescribeAccount"}
STEP_TIMEOUT_S = 900
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def log(msg):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


class BenchError(Exception):
    """A step of the benchmark could not run; the message says which and why."""


# --------------------------------------------------------------------------- processes

class Children:
    """Every process the benchmark starts, killed by `close()` (also on error/Ctrl-C)."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kwargs):
        proc = subprocess.Popen(argv, **kwargs)
        self.procs.append(proc)
        return proc

    def forget(self, proc):
        if proc in self.procs:
            self.procs.remove(proc)

    def close(self):
        for proc in reversed(self.procs):
            if proc.returncode is None and proc.poll() is None:
                try:
                    proc.kill()
                    proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        self.procs.clear()


def read_port(proc, what):
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        raise BenchError(f"{what} did not start (said {line!r})")
    return int(line.split()[1])


def start_moto(children):
    if "MOTO_ACCOUNT_ID" in os.environ:
        raise BenchError("unset MOTO_ACCOUNT_ID: it maps every request to one account")
    proc = children.start(
        [PYTHON, os.path.join(SUPPORT, "moto_launcher.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return read_port(proc, "moto_launcher.py")


def start_proxy(children, moto_port, latency_ms):
    proc = children.start(
        [PYTHON, os.path.join(SUPPORT, "faultproxy.py"), "--upstream-port", str(moto_port),
         "--latency-ms", str(latency_ms)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return read_port(proc, "faultproxy.py")


def proxy_stats(proxy_url):
    with urllib.request.urlopen(f"{proxy_url}/__proxy/stats", timeout=30) as resp:
        return json.load(resp)


def proxy_config(proxy_url, config):
    req = urllib.request.Request(f"{proxy_url}/__proxy/config", data=json.dumps(config).encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def delta(before, after):
    ops = {}
    for op, n in after["by_operation"].items():
        d = n - before["by_operation"].get(op, 0)
        if d:
            ops[op] = d
    return dict(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])))


def run_measured(children, argv, env, cwd, timeout=STEP_TIMEOUT_S):
    """Runs argv; returns (exit code, wall seconds, peak RSS KiB of that process, out, err)."""
    out_f = tempfile.TemporaryFile(dir=cwd)
    err_f = tempfile.TemporaryFile(dir=cwd)
    start = time.monotonic()
    proc = children.start(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out_f,
                          stderr=err_f)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix in seed.py's).
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    children.forget(proc)
    out_f.seek(0)
    err_f.seek(0)
    out, err = out_f.read().decode("utf-8", "replace"), err_f.read().decode("utf-8", "replace")
    if wall >= timeout:
        raise BenchError(f"{' '.join(argv[:2])} did not finish in {timeout} s and was killed")
    return proc.returncode, wall, usage, out, err


# --------------------------------------------------------------------------- seeding

def seed_org(endpoint, n_accounts):
    desc = {
        "ous": LEAF_OUS,
        "accounts": [{"name": f"bench-{i:05d}", "ou": LEAF_OUS[i % len(LEAF_OUS)]}
                     for i in range(n_accounts)],
        "buckets": [{"account": "management", "name": BUCKET, "region": "us-east-1"}],
    }
    out = subprocess.run([PYTHON, os.path.join(SUPPORT, "seed.py"), endpoint],
                         input=json.dumps(desc), capture_output=True, text=True, timeout=900,
                         check=False)
    if out.returncode != 0:
        raise BenchError(f"seed.py failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def write_spec(path, regions):
    """The spec, as YAML (JSON is YAML; no YAML library needed)."""
    selectors = [
        {"name": "S3 writes outside the log bucket",
         "field_selectors": [
             {"field": "eventCategory", "equals": ["Data"]},
             {"field": "resources.type", "equals": ["AWS::S3::Object"]},
             {"field": "readOnly", "equals": ["false"]},
             {"field": "resources.ARN", "not_starts_with": [f"arn:aws:s3:::{BUCKET}/"]}]},
        {"name": "management events",
         "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
    ]
    spec = {
        "version": 1,
        "organization": {
            "member_role": "arn:aws:iam::{account_id}:role/" + ROLE,
            "regions": regions,
        },
        "unmanaged_trails": "report",
        "trails": {
            ORG_TRAIL: {
                "scope": "organization",
                "home_region": "us-east-1",
                "s3_bucket": BUCKET,
                "s3_key_prefix": "org",
                "kms_key_id": "arn:aws:kms:us-east-1:111111111111:key/"
                              "1234abcd-12ab-34cd-56ef-1234567890ab",
                "multi_region": True,
                "global_service_events": True,
                "log_file_validation": True,
                "logging": True,
                "advanced_event_selectors": selectors[1:],
                "tags": {"owner": "security", "managed-by": "trailform"},
            },
            ACCOUNT_TRAIL: {
                "scope": "account",
                "targets": {"organizational_units": TARGET_OUS},
                "regions": regions,
                "s3_bucket": BUCKET,
                "s3_key_prefix": "accounts/{account_id}/{region}",
                "kms_key_id": "arn:aws:kms:us-east-1:111111111111:key/"
                              "1234abcd-12ab-34cd-56ef-1234567890ab",
                "multi_region": False,
                "global_service_events": False,
                "log_file_validation": True,
                "logging": True,
                "advanced_event_selectors": selectors[:1],
                "tags": {"owner": "platform", "cost-center": "1234"},
            },
        },
    }
    with open(path, "w", encoding="utf-8") as f:
        f.write("# written by bench/bench.py\n")
        json.dump(spec, f, indent=2)
        f.write("\n")
    return spec


def client(service, endpoint, region="us-east-1", creds=None, retries=3):
    kwargs = dict(KEYS)
    if creds is not None:
        kwargs = {"aws_access_key_id": creds["AccessKeyId"],
                  "aws_secret_access_key": creds["SecretAccessKey"],
                  "aws_session_token": creds["SessionToken"]}
    cfg = botocore.config.Config(retries={"max_attempts": retries, "mode": "standard"},
                                 max_pool_connections=64)
    return boto3.client(service, endpoint_url=endpoint, region_name=region, config=cfg, **kwargs)


def member_creds(endpoint, account_ids):
    sts = client("sts", endpoint)
    return {a: sts.assume_role(RoleArn=f"arn:aws:iam::{a}:role/{ROLE}",
                               RoleSessionName="bench")["Credentials"] for a in account_ids}


def all_trails(endpoint, management_id, creds, regions):
    """(account, region, name) of every trail homed there, read directly from moto."""
    found = []

    def one(account, region):
        ct = client("cloudtrail", endpoint, region, creds.get(account))
        return [(account, region, t["Name"])
                for t in ct.describe_trails(includeShadowTrails=False)["trailList"]]

    pairs = [(a, r) for a in [management_id, *creds] for r in regions]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for part in pool.map(lambda p: one(*p), pairs):
            found.extend(part)
    return found


def wipe_trails(endpoint, management_id, creds, regions):
    def one(account, region):
        ct = client("cloudtrail", endpoint, region, creds.get(account))
        for t in ct.describe_trails(includeShadowTrails=False)["trailList"]:
            ct.delete_trail(Name=t["Name"])

    pairs = [(a, r) for a in [management_id, *creds] for r in regions]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: one(*p), pairs))


def seed_converged(endpoint, management_id, creds, regions, spec):
    """The state apply would leave, made with boto3 (used only when apply is missing, so
    that the sequential reader still reads a converged organization)."""
    org, acct = spec["trails"][ORG_TRAIL], spec["trails"][ACCOUNT_TRAIL]

    def api_selectors(sels):
        return [{"Name": s["name"], "FieldSelectors": [
            {"Field": f["field"], **{k.title().replace("_", ""): v for k, v in f.items()
                                     if k != "field"}} for f in s["field_selectors"]]}
            for s in sels]

    def create(account, region, name, t, is_org):
        ct = client("cloudtrail", endpoint, region, creds.get(account))
        kwargs = {"Name": name, "S3BucketName": BUCKET, "KmsKeyId": t["kms_key_id"],
                  "IsMultiRegionTrail": t["multi_region"],
                  "IncludeGlobalServiceEvents": t["global_service_events"],
                  "EnableLogFileValidation": t["log_file_validation"],
                  "S3KeyPrefix": t["s3_key_prefix"].format(account_id=account, region=region),
                  "TagsList": [{"Key": k, "Value": v} for k, v in t["tags"].items()]}
        if is_org:
            kwargs["IsOrganizationTrail"] = True
        arn = ct.create_trail(**kwargs)["TrailARN"]
        ct.put_event_selectors(TrailName=arn,
                               AdvancedEventSelectors=api_selectors(t["advanced_event_selectors"]))
        ct.start_logging(Name=arn)

    create(management_id, org["home_region"], ORG_TRAIL, org, True)
    pairs = [(a, r) for a in creds for r in regions]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: create(p[0], p[1], ACCOUNT_TRAIL, acct, False), pairs))


# --------------------------------------------------------------------------- moto ceiling

def measure_ceiling(port, seconds, threads, access_keys):
    """Requests/second moto answers to concurrent DescribeTrails on keep-alive connections.

    Raw HTTP with an unverified SigV4 header (moto reads the access key, never checks the
    signature), so the client costs far less CPU than the server it measures. The keys
    rotate over the member accounts' assumed-role keys, as trailform's calls do: moto
    finds a request's account by scanning every account for its access key, so the cost
    of a request grows with the organization, and an unknown key (scanned to the end)
    would understate the ceiling.
    """
    body = b"{}"

    def headers(key):
        return {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
                            "DescribeTrails",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20240101/us-east-1/"
                             "cloudtrail/aws4_request, SignedHeaders=host;x-amz-date, "
                             "Signature=0",
            "X-Amz-Date": "20240101T000000Z",
            "Host": f"127.0.0.1:{port}",
        }

    prepared = [headers(k) for k in access_keys] or [headers("testing")]
    stop = time.monotonic() + seconds
    counts = [0] * threads
    errors = [0] * threads

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = i
        while time.monotonic() < stop:
            n += threads
            try:
                conn.request("POST", "/", body=body, headers=prepared[n % len(prepared)])
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    start = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    if sum(counts) == 0:
        raise BenchError(f"moto answered no DescribeTrails in {seconds} s ({sum(errors)} errors)")
    return {"requests": sum(counts), "errors": sum(errors), "seconds": elapsed,
            "threads": threads, "rps": sum(counts) / elapsed}


# --------------------------------------------------------------------------- trailform

def trailform_env(proxy_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=proxy_url, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def check_subcommands(trailform):
    """None if `plan` and `apply` exist, else why not (they are wired in parallel)."""
    if not os.access(trailform, os.X_OK):
        return f"no trailform binary at {trailform} (bench/run.sh builds it)"
    missing = []
    for sub in ("plan", "apply"):
        out = subprocess.run([trailform, sub, "--help"], capture_output=True, text=True,
                             timeout=60, check=False)
        text = out.stdout + out.stderr
        if out.returncode != 0 or "--concurrency" not in text:
            missing.append(sub)
    if missing:
        return (f"trailform does not implement {' and '.join(missing)} yet "
                f"(`trailform {missing[0]} --help` does not show --concurrency)")
    return None


def run_trailform(children, trailform, args, proxy_url, workdir, what, ceiling_of):
    # moto's ceiling right before the run: other work on a shared machine moves it.
    ceiling = ceiling_of()
    before = proxy_stats(proxy_url)
    code, wall, usage, out, err = run_measured(children, [trailform, *args],
                                                 trailform_env(proxy_url), workdir)
    after = proxy_stats(proxy_url)
    ops = delta(before, after)
    rss_kib, cpu_s = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    log(f"{what}: exit {code} in {wall:.2f} s, {sum(ops.values())} requests, "
        f"{cpu_s:.2f} s CPU, peak RSS {rss_kib / 1024:.1f} MiB")
    return {"ceiling_rps": ceiling["rps"], "exit_code": code, "wall_s": wall, "cpu_s": cpu_s,
            "rss_kib": rss_kib,
            "requests": sum(ops.values()),
            "by_operation": ops, "stdout_tail": out[-2000:], "stderr_tail": err[-2000:]}


# --------------------------------------------------------------------------- boto3 reader

def sequential_boto3(proxy_url, regions):
    """What users write today: one account after the other, one region after the other."""
    org = boto3.client("organizations", endpoint_url=proxy_url, region_name="us-east-1", **KEYS)
    sts = boto3.client("sts", endpoint_url=proxy_url, region_name="us-east-1", **KEYS)
    management = org.describe_organization()["Organization"]["MasterAccountId"]
    accounts = []
    for page in org.get_paginator("list_accounts").paginate():
        accounts.extend(a for a in page["Accounts"] if a["Status"] == "ACTIVE")
    trails = 0
    for account in accounts:
        if account["Id"] == management:
            creds = dict(KEYS)
        else:
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account['Id']}:role/{ROLE}",
                                RoleSessionName="audit")["Credentials"]
            creds = {"aws_access_key_id": c["AccessKeyId"],
                     "aws_secret_access_key": c["SecretAccessKey"],
                     "aws_session_token": c["SessionToken"]}
        for region in regions:
            ct = boto3.client("cloudtrail", endpoint_url=proxy_url, region_name=region, **creds)
            for t in ct.describe_trails(includeShadowTrails=False)["trailList"]:
                arn = t["TrailARN"]
                ct.get_event_selectors(TrailName=arn)
                try:
                    ct.get_insight_selectors(TrailName=arn)
                except ct.exceptions.InsightNotEnabledException:
                    pass
                ct.get_trail_status(Name=arn)
                ct.list_tags(ResourceIdList=[arn])
                trails += 1
    return {"accounts": len(accounts), "trails": trails}


# --------------------------------------------------------------------------- report

def lower_bound(ops, latency_s, concurrency, ceiling_rps):
    requests = sum(ops.values())
    sequential = sum(n for op, n in ops.items() if op in SEQUENTIAL_OPS)
    latency_bound = requests * latency_s / concurrency + sequential * latency_s
    ceiling_bound = requests / ceiling_rps
    return {"requests": requests, "sequential_requests": sequential,
            "latency_bound_s": latency_bound, "ceiling_bound_s": ceiling_bound,
            "bound_s": max(latency_bound, ceiling_bound),
            "limited_by": "latency/concurrency" if latency_bound >= ceiling_bound
            else "moto ceiling"}


def per_account_region(ops, account_regions):
    if not account_regions:
        return {}
    return {op: round(n / account_regions, 3) for op, n in ops.items()
            if op not in SEQUENTIAL_OPS}


# Published AWS figures the extrapolation uses (CloudTrail quotas page; design.md §3).
AWS_LATENCY_S = 0.040
AWS_READ_TPS_PER_ACCOUNT_REGION = 10
ORG_PAGE_SIZE = 20


def extrapolate(run, boto3_run, account_regions_measured, accounts_measured):
    """On-paper plan time on real AWS for larger organizations, from measured counts.

    Per account-region CloudTrail reads and per account AssumeRole scale linearly; the
    Organizations listing is ~accounts / 20 sequential pages (+ OU pages, ignored).
    """
    ops = run["by_operation"]
    per_ar = sum(n for op, n in ops.items() if op not in SEQUENTIAL_OPS and op != "AssumeRole")
    per_ar /= account_regions_measured
    per_account = ops.get("AssumeRole", 0) / accounts_measured
    per_req_boto3 = (boto3_run["wall_s"] / boto3_run["requests"]) if boto3_run else None
    rows = []
    for accounts in (1000, 5000):
        regions = 17
        ar = accounts * regions
        requests = ar * per_ar + accounts * per_account
        pages = -(-accounts // ORG_PAGE_SIZE)
        row = {"accounts": accounts, "regions": regions, "requests": round(requests),
               "listing_pages": pages,
               # 10 reads/s per account-region: the per-account-region reads alone.
               "quota_floor_s": per_ar / AWS_READ_TPS_PER_ACCOUNT_REGION,
               "floor_s": {}}
        for c in (16, 64, 256):
            row["floor_s"][str(c)] = requests * AWS_LATENCY_S / c + pages * AWS_LATENCY_S
        if per_req_boto3:
            row["sequential_boto3_s"] = requests * per_req_boto3
        rows.append(row)
    return {"per_account_region": per_ar, "per_account": per_account,
            "boto3_s_per_request": per_req_boto3, "rows": rows}


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "memory": mem,
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_at_start": os.getloadavg()}


def fmt_ops(ops):
    return ", ".join(f"{op} {n}" for op, n in ops.items()) or "—"


def render(r):
    p, m = r["parameters"], r["machine"]
    lines = ["# trailform network benchmark", "",
             f"Machine: {m['nproc']} × {m['cpu_model']}, {m['memory']}, Linux {m['kernel']}, "
             f"load at start {', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}.",
             f"Parameters: {p['accounts']} member accounts × {p['regions']} regions "
             f"({', '.join(p['region_names'])}), {p['latency_ms']:g} ms added per request, "
             f"concurrency {', '.join(map(str, p['concurrency']))}; "
             f"{p['account_regions']} account-regions read.", "",
             f"Seeding: {r['seed_s']:.1f} s. moto's ceiling (concurrent DescribeTrails in "
             f"member accounts, direct, {r['ceiling']['threads']} threads, {r['ceiling']['seconds']:.1f} s): "
             f"**{r['ceiling']['rps']:.0f} requests/s**"
             + (f"; through the proxy with no added latency: "
                f"{r['proxy_ceiling']['rps']:.0f} requests/s" if r.get("proxy_ceiling") else "")
             + ".", ""]
    if r.get("trailform_pending"):
        lines += [f"**trailform plan/apply: pending** — {r['trailform_pending']}.", ""]
    if r["runs"]:
        lines += ["| step | concurrency | exit | wall s | requests | moto ceiling req/s "
                  "| lower bound s (limited by) | ratio to bound | trailform CPU s | peak RSS MiB |",
                  "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
        for run in r["runs"]:
            b = run["bound"]
            lines.append(f"| {run['step']} | {run['concurrency']} | {run['exit_code']} | "
                         f"{run['wall_s']:.2f} | {run['requests']} | "
                         f"{run['ceiling_rps']:.0f} | {b['bound_s']:.2f} "
                         f"({b['limited_by']}) | {run['ratio_to_bound']:.2f}× | {run['cpu_s']:.2f} | "
                         f"{run['rss_kib'] / 1024:.1f} |")
        lines += ["", "Requests by operation:", ""]
        for run in r["runs"]:
            lines.append(f"- {run['step']} @ {run['concurrency']}: {fmt_ops(run['by_operation'])}")
        lines += ["", "Per account-region (excluding the sequential Organizations/STS header "
                  "and listing calls):", ""]
        for run in r["runs"]:
            lines.append(f"- {run['step']} @ {run['concurrency']}: "
                         f"{fmt_ops(run['per_account_region'])}")
        lines.append("")
    s = r.get("boto3")
    if s:
        lines += [f"Sequential boto3 reader (same proxy): **{s['wall_s']:.1f} s**, "
                  f"{s['requests']} requests ({fmt_ops(s['by_operation'])}), "
                  f"{s['accounts']} accounts, {s['trails']} trails read in full.", ""]
        for run in r["runs"]:
            if run["step"] == "plan":
                lines.append(f"- plan @ {run['concurrency']}: "
                             f"{s['wall_s'] / run['wall_s']:.1f}× faster than sequential boto3")
        lines.append("")
    x = r.get("extrapolation")
    if x:
        lines += [f"On paper, real AWS at {AWS_LATENCY_S * 1000:.0f} ms a call, from this run's "
                  f"{x['per_account_region']:.2f} CloudTrail reads per account-region and "
                  f"{x['per_account']:.2f} AssumeRole per account (plan):", "",
                  "| org | requests | floor @16 | floor @64 | floor @256 | sequential boto3 |",
                  "|---|---:|---:|---:|---:|---:|"]
        for row in x["rows"]:
            f = row["floor_s"]
            seq = (f"{row['sequential_boto3_s'] / 60:.0f} min"
                   if row.get("sequential_boto3_s") else "—")
            lines.append(f"| {row['accounts']} × {row['regions']} | {row['requests']} | "
                         f"{f['16']:.0f} s | {f['64']:.0f} s | {f['256']:.0f} s | {seq} |")
        lines.append("")
    if r.get("goals"):
        lines += ["Goals (issue 7):", ""]
        lines += [f"- {g['goal']}: {'met' if g['met'] else 'NOT met'} ({g['detail']})"
                  for g in r["goals"]]
        lines.append("")
    lines.append(f"Total benchmark time: {r['total_s']:.0f} s; load average at the end "
                 f"{', '.join(f'{x:.2f}' for x in m.get('loadavg_at_end', ()))} "
                 f"(other work on this machine competes with moto for its {m['nproc']} cores).")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--regions", type=int, default=2)
    ap.add_argument("--latency-ms", type=float, default=40.0)
    ap.add_argument("--concurrency", default="16,64")
    ap.add_argument("--quick", action="store_true", help="20 accounts × 2 regions (smoke run)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--trailform", default=os.path.join(ROOT, "target", "release", "trailform"))
    ap.add_argument("--ceiling-seconds", type=float, default=3.0)
    ap.add_argument("--ceiling-seconds-per-run", type=float, default=2.0,
                    help="moto's ceiling is measured again right before each trailform run")
    ap.add_argument("--ceiling-threads", type=int, default=16)
    ap.add_argument("--skip-boto3", action="store_true",
                    help="skip the sequential boto3 reader (it is the slowest step)")
    a = ap.parse_args(argv)
    if a.quick:
        a.accounts, a.regions = 20, 2
    if not 1 <= a.regions <= len(REGIONS):
        ap.error(f"--regions must be 1..{len(REGIONS)}")
    if a.accounts < 1:
        ap.error("--accounts must be at least 1")
    try:
        concurrency = [int(c) for c in a.concurrency.split(",") if c]
    except ValueError:
        ap.error("--concurrency takes a comma-separated list of integers")
    if not concurrency or min(concurrency) < 1:
        ap.error("--concurrency takes positive integers")
    regions = REGIONS[:a.regions]
    latency_s = a.latency_ms / 1000.0

    children = Children()

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    # Also when started in the background, where a shell leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    report = {"machine": machine(),
              "parameters": {"accounts": a.accounts, "regions": a.regions, "region_names": regions,
                             "latency_ms": a.latency_ms, "concurrency": concurrency,
                             "account_regions": a.accounts * a.regions,
                             "trailform": a.trailform},
              "runs": []}
    try:
        with tempfile.TemporaryDirectory(prefix="trailform-bench-") as workdir:
            run_bench(a, children, report, workdir, regions, latency_s, concurrency)
    except BenchError as e:
        log(f"error: {e}")
        return 1
    finally:
        children.close()
    report["total_s"] = time.monotonic() - started
    report["machine"]["loadavg_at_end"] = os.getloadavg()
    sys.stdout.write(render(report))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        log(f"wrote {a.json}")
    if report.get("failed"):
        log(f"failed: {report['failed']}")
        return 1
    return 0


def run_bench(a, children, report, workdir, regions, latency_s, concurrency):
    moto_port = start_moto(children)
    moto_url = f"http://127.0.0.1:{moto_port}"
    proxy_port = start_proxy(children, moto_port, a.latency_ms)
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    log(f"moto on {moto_url}, proxy ({a.latency_ms:g} ms) on {proxy_url}")

    t = time.monotonic()
    seeded = seed_org(moto_url, a.accounts)
    report["seed_s"] = time.monotonic() - t
    management = seeded["management_id"]
    member_ids = list(seeded["accounts"].values())
    creds = member_creds(moto_url, member_ids)
    log(f"seeded {len(member_ids)} accounts in {len(seeded['ous'])} OUs "
        f"in {report['seed_s']:.1f} s")
    spec_path = os.path.join(workdir, "trailform.yaml")
    spec = write_spec(spec_path, regions)

    keys = [c["AccessKeyId"] for c in creds.values()]
    report["ceiling"] = measure_ceiling(moto_port, a.ceiling_seconds, a.ceiling_threads, keys)
    log(f"moto ceiling: {report['ceiling']['rps']:.0f} requests/s")
    proxy_config(proxy_url, {"latency_ms": 0})
    report["proxy_ceiling"] = measure_ceiling(proxy_port, a.ceiling_seconds, a.ceiling_threads,
                                              keys)
    proxy_config(proxy_url, {"latency_ms": a.latency_ms})
    log(f"proxy ceiling (no latency): {report['proxy_ceiling']['rps']:.0f} requests/s")

    def ceiling_of():
        return measure_ceiling(moto_port, a.ceiling_seconds_per_run, a.ceiling_threads, keys)

    expected_trails = 1 + a.accounts * a.regions

    pending = check_subcommands(a.trailform)
    report["trailform_pending"] = pending
    if pending:
        log(f"skipping trailform steps: {pending}")
        seed_converged(moto_url, management, creds, regions, spec)
    else:
        for c in concurrency:
            wipe_trails(moto_url, management, creds, regions)
            apply = run_trailform(children, a.trailform,
                                  ["apply", "-f", spec_path, "--auto-approve",
                                   "--concurrency", str(c)],
                                  proxy_url, workdir, f"apply @ {c}", ceiling_of)
            if apply["exit_code"] != 0 and "not implemented" in apply["stderr_tail"]:
                pending = report["trailform_pending"] = (
                    f"`trailform apply` says: {apply['stderr_tail'].strip()[-300:]}")
                log(f"skipping trailform steps: {pending}")
                seed_converged(moto_url, management, creds, regions, spec)
                break
            found = all_trails(moto_url, management, creds, regions)
            apply["trails_after"] = len(found)
            plan = run_trailform(children, a.trailform,
                                 ["plan", "-f", spec_path, "--detailed-exitcode",
                                  "--concurrency", str(c)],
                                 proxy_url, workdir, f"plan @ {c}", ceiling_of)
            for step, run in (("apply", apply), ("plan", plan)):
                run["step"], run["concurrency"] = step, c
                run["bound"] = lower_bound(run["by_operation"], latency_s, c,
                                           run["ceiling_rps"])
                run["ratio_to_bound"] = run["wall_s"] / run["bound"]["bound_s"]
                run["per_account_region"] = per_account_region(run["by_operation"],
                                                               a.accounts * a.regions)
                report["runs"].append(run)
            problems = []
            if apply["exit_code"] != 0:
                problems.append(f"apply @ {c} exited {apply['exit_code']}: "
                                f"{apply['stderr_tail'][-800:]}")
            if len(found) != expected_trails:
                problems.append(f"apply @ {c} left {len(found)} trails, expected "
                                f"{expected_trails}")
            if plan["exit_code"] != 0:
                problems.append(f"plan @ {c} on the converged org exited {plan['exit_code']} "
                                f"(must be 0): {plan['stdout_tail'][-800:]} "
                                f"{plan['stderr_tail'][-800:]}")
            if problems:
                report.setdefault("failed", []).extend(problems)
                for p in problems:
                    log(p)

    if not a.skip_boto3:
        log("sequential boto3 reader ...")
        before = proxy_stats(proxy_url)
        t = time.monotonic()
        read = sequential_boto3(proxy_url, regions)
        wall = time.monotonic() - t
        ops = delta(before, proxy_stats(proxy_url))
        report["boto3"] = {"wall_s": wall, "requests": sum(ops.values()), "by_operation": ops,
                           **read}
        log(f"sequential boto3: {wall:.1f} s, {sum(ops.values())} requests")

    plans_run = [r for r in report["runs"] if r["step"] == "plan"]
    if plans_run:
        report["extrapolation"] = extrapolate(plans_run[-1], report.get("boto3"),
                                              a.accounts * a.regions, a.accounts)
    goals = []
    plans = [r for r in report["runs"] if r["step"] == "plan"]
    default = next((r for r in plans if r["concurrency"] == 16), None)
    if default and report.get("boto3"):
        speedup = report["boto3"]["wall_s"] / default["wall_s"]
        goals.append({"goal": "plan ≥ 10× faster than sequential boto3 at concurrency 16",
                      "met": speedup >= 10, "detail": f"{speedup:.1f}×"})
    for r in plans:
        goals.append({"goal": f"plan within 1.5× of the lower bound at concurrency "
                              f"{r['concurrency']}",
                      "met": r["ratio_to_bound"] <= 1.5,
                      "detail": f"{r['ratio_to_bound']:.2f}×"})
    report["goals"] = goals


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
