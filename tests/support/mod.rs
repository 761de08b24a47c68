//! The moto test harness, shared by every integration test through `mod support;`.
//!
//! - [`MotoServer::start`] runs moto (through `moto_launcher.py`, which patches it to
//!   documented AWS behaviour where trailform depends on it) on a free 127.0.0.1 port,
//!   one server per test, killed on drop.
//! - [`OrgBuilder`] seeds an organization, buckets, topics, roles and out-of-band
//!   trails through `seed.py` (boto3).
//! - [`run_trailform`] runs the built binary against a server; [`run_trailform_at`] against
//!   any endpoint (a [`FaultProxy`]) with extra environment.
//! - [`FaultProxy::start`] runs `faultproxy.py` in front of a server (seeded faults and
//!   latency, rates changeable at run time), killed on drop.
//! - [`boto_read`] / [`trails_dump`] read state back with boto3, independent of
//!   trailform's own reader.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Once;

use serde_json::{json, Value};
use trailform::aws::{AwsContext, AwsSettings, Endpoint};

/// The region tests use as the default.
pub const REGION: &str = "us-east-1";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    root().join(".venv/bin/python")
}

fn support(file: &str) -> PathBuf {
    root().join("tests/support").join(file)
}

/// Creates the venv once, serialized across test processes by flock(1).
fn ensure_venv() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if root().join(".venv/bin/moto_server").exists() {
            return;
        }
        let lock = std::env::temp_dir().join("trailform-setup-venv.lock");
        let status = Command::new("flock")
            .arg(&lock)
            .arg(root().join("scripts/setup-venv.sh"))
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "scripts/setup-venv.sh failed: {status:?}"
        );
    });
}

/// A moto server of our own; killed on drop.
pub struct MotoServer {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
}

impl MotoServer {
    /// Starts a fresh server and waits until it listens.
    pub fn start() -> Self {
        ensure_venv();
        let mut child = Command::new(python())
            .arg(support("moto_launcher.py"))
            .env_remove("MOTO_ACCOUNT_ID")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_launcher.py");
        let stdin = child.stdin.take().expect("launcher stdin");
        let stdout = child.stdout.take().expect("launcher stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read launcher port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("moto launcher said {line:?}"));
        Self {
            child,
            _stdin: stdin,
            port,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Endpoint, region and test keys (moto maps unknown keys to 123456789012).
    pub fn aws_endpoint(&self) -> Endpoint {
        Endpoint {
            url: self.endpoint(),
            region: REGION.to_owned(),
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
        }
    }

    /// An [`AwsContext`] built the way trailform builds it, pointed at this server.
    pub async fn context(&self, settings: &AwsSettings) -> AwsContext {
        AwsContext::with_endpoint(settings, &self.aws_endpoint()).await
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_python(script: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(python())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .expect("python stdin")
        .write_all(stdin.as_bytes())
        .expect("write python stdin");
    let out = child.wait_with_output().expect("python output");
    assert!(
        out.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Builds the JSON description `seed.py` reads.
#[derive(Debug, Default, Clone)]
pub struct OrgBuilder {
    management_tags: BTreeMap<String, String>,
    ous: Vec<String>,
    accounts: Vec<Value>,
    roles: Vec<Value>,
    buckets: Vec<Value>,
    topics: Vec<Value>,
    trails: Vec<Value>,
}

/// What `seed.py` created.
#[derive(Debug, Clone)]
pub struct SeededOrg {
    pub management_id: String,
    pub root_id: String,
    pub accounts_by_name: BTreeMap<String, String>,
    pub ous_by_path: BTreeMap<String, String>,
    /// `ACCOUNT_ID/REGION/NAME` → trail ARN.
    pub trails: BTreeMap<String, String>,
}

impl SeededOrg {
    /// Account id by seeded name (`management` for the management account).
    pub fn id(&self, name: &str) -> &str {
        if name == "management" {
            return &self.management_id;
        }
        self.accounts_by_name
            .get(name)
            .unwrap_or_else(|| panic!("no seeded account {name}"))
    }
}

impl OrgBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tags on the management account.
    pub fn management_tags(mut self, tags: &[(&str, &str)]) -> Self {
        self.management_tags
            .extend(tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// An OU path like `Workloads/Prod` (parents created as needed).
    pub fn ou(mut self, path: &str) -> Self {
        self.ous.push(path.to_owned());
        self
    }

    /// An account in OU `ou` (`""` = root) with tags.
    pub fn account(mut self, name: &str, ou: &str, tags: &[(&str, &str)]) -> Self {
        let tags: BTreeMap<&str, &str> = tags.iter().copied().collect();
        self.accounts
            .push(json!({"name": name, "ou": ou, "tags": tags}));
        self
    }

    /// An account closed after creation (CloseAccount → SUSPENDED).
    pub fn closed_account(mut self, name: &str, ou: &str) -> Self {
        self.accounts
            .push(json!({"name": name, "ou": ou, "closed": true}));
        self
    }

    /// An IAM role in an account (`management`, a seeded name or an id).
    pub fn role(mut self, account: &str, name: &str) -> Self {
        self.roles.push(json!({"account": account, "name": name}));
        self
    }

    /// An S3 bucket owned by an account.
    pub fn bucket(mut self, account: &str, name: &str, region: &str) -> Self {
        self.buckets
            .push(json!({"account": account, "name": name, "region": region}));
        self
    }

    /// An SNS topic in an account and region.
    pub fn topic(mut self, account: &str, name: &str, region: &str) -> Self {
        self.topics
            .push(json!({"account": account, "name": name, "region": region}));
        self
    }

    /// An out-of-band trail; keys as documented in seed.py (`account`, `region`,
    /// `name`, `bucket`, `multi_region`, `advanced_event_selectors`, `insights`,
    /// `tags`, `logging`, ...).
    pub fn trail(mut self, trail: Value) -> Self {
        self.trails.push(trail);
        self
    }

    /// Runs seed.py against `moto`.
    pub fn seed(&self, moto: &MotoServer) -> SeededOrg {
        let desc = json!({
            "management_tags": self.management_tags,
            "ous": self.ous, "accounts": self.accounts, "roles": self.roles,
            "buckets": self.buckets, "topics": self.topics, "trails": self.trails,
        });
        let out = run_python(&support("seed.py"), &[&moto.endpoint()], &desc.to_string());
        let v: Value = serde_json::from_str(&out).expect("seed.py JSON");
        let map = |key: &str| -> BTreeMap<String, String> {
            serde_json::from_value(v[key].clone()).expect("seed.py map")
        };
        SeededOrg {
            management_id: v["management_id"]
                .as_str()
                .expect("management_id")
                .to_owned(),
            root_id: v["root_id"].as_str().expect("root_id").to_owned(),
            accounts_by_name: map("accounts"),
            ous_by_path: map("ous"),
            trails: map("trails"),
        }
    }
}

/// Runs a Python snippet with `client(service)` bound to `account` in `region` (see
/// boto_read.py); the snippet assigns `result`, returned as JSON.
pub fn boto_read(moto: &MotoServer, account: &str, region: &str, script: &str) -> Value {
    let out = run_python(
        &support("boto_read.py"),
        &[&moto.endpoint(), account, region],
        script,
    );
    serde_json::from_str(&out).expect("boto_read JSON")
}

/// Every trail homed in `account`/`region`, with selectors, insights, logging and tags,
/// read with boto3.
pub fn trails_dump(moto: &MotoServer, account: &str, region: &str) -> Value {
    boto_read(moto, account, region, "result = trails_dump()")
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the built `trailform` in `dir` against `moto` with test keys; every other
/// AWS_* variable is cleared so the developer's own configuration cannot leak in.
pub fn run_trailform(moto: &MotoServer, dir: &Path, args: &[&str]) -> Run {
    run_trailform_at(&moto.endpoint(), dir, args, &[])
}

/// Like [`run_trailform`] against `endpoint` (e.g. a [`FaultProxy`]), with `env` set
/// after the test keys (so it may replace them, or add `AWS_SESSION_TOKEN`).
pub fn run_trailform_at(endpoint: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = trailform_command(endpoint, dir, args, env)
        .output()
        .expect("run trailform");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The command [`run_trailform_at`] runs, for tests that start several at once.
pub fn trailform_command(
    endpoint: &str,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailform"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(&key);
        }
    }
    cmd.current_dir(dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Fault rates of a [`FaultProxy`] (fractions of requests; see faultproxy.py).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub latency_ms: u32,
    /// HTTP 500.
    pub error: f64,
    /// Throttling (400 ThrottlingException / TooManyRequestsException / Throttling).
    pub throttle: f64,
    /// Connection closed before the request is forwarded (nothing happened).
    pub reset: f64,
    /// Request forwarded, then the connection closed unanswered (a lost response).
    pub lost: f64,
    /// Only these operations get faults (empty: all).
    pub only_ops: Vec<String>,
    /// Only requests whose body contains this get faults (empty: all), e.g. an OU id.
    pub only_body: String,
    pub seed: u64,
}

impl Faults {
    fn config(&self) -> Value {
        json!({
            "latency_ms": self.latency_ms,
            "error_rate": self.error,
            "throttle_rate": self.throttle,
            "reset_rate": self.reset,
            "lost_rate": self.lost,
            "only_ops": self.only_ops,
            "only_body": self.only_body,
        })
    }
}

/// `faultproxy.py` in front of a [`MotoServer`]; killed on drop.
pub struct FaultProxy {
    child: Child,
    port: u16,
}

impl FaultProxy {
    /// Starts a proxy to `moto` with `faults` and waits until it listens.
    pub fn start(moto: &MotoServer, faults: &Faults) -> Self {
        let mut child = Command::new(python())
            .arg(support("faultproxy.py"))
            .args(["--upstream-port", &moto.port.to_string()])
            .args(["--seed", &faults.seed.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start faultproxy.py");
        let stdout = child.stdout.take().expect("proxy stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read proxy port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("faultproxy said {line:?}"));
        let proxy = Self { child, port };
        proxy.set(faults);
        proxy
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Changes the rates at run time.
    pub fn set(&self, faults: &Faults) {
        self.control("POST", "/__proxy/config", &faults.config().to_string());
    }

    /// Turns every fault and the latency off.
    pub fn off(&self) {
        self.set(&Faults::default());
    }

    /// Requests by operation and faults injected by kind (`requests`, `by_operation`,
    /// `faults.{error,throttle,reset,lost}`).
    pub fn stats(&self) -> Value {
        let body = self.control("GET", "/__proxy/stats", "");
        serde_json::from_str(&body).expect("proxy stats JSON")
    }

    fn control(&self, method: &str, path: &str, body: &str) -> String {
        use std::io::Read;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect proxy");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write proxy request");
        // The proxy keeps the connection open; read the head, then Content-Length bytes.
        let mut reader = BufReader::new(s.try_clone().expect("clone stream"));
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("proxy response head");
            let l = line.trim();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("content-length");
            }
        }
        let mut buf = vec![0; len];
        reader.read_exact(&mut buf).expect("proxy response body");
        let _ = s.shutdown(std::net::Shutdown::Both);
        String::from_utf8(buf).expect("utf-8 proxy response")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A spec from YAML (the spec parser lives elsewhere; tests build specs with serde).
pub fn spec(yaml: &str) -> trailform::spec::Spec {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("test spec: {e}\n{yaml}"))
}
