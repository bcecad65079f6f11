"""Kerberos (SPNEGO) authentication to Livy, for real.

A throwaway MIT realm runs on loopback (krb5kdc in the foreground, its
database, stash and keytabs in a temporary directory), and Apache with
mod_auth_gssapi, also in the foreground from a private configuration, is a
reverse proxy that demands `Authorization: Negotiate` in front of the test
Livy server of tests/livy. The kernel is pointed at Apache by sparkmagic's
config.json with `"auth": "Kerberos"` and driven by the real jupyter_client:

* with a ticket (kinit from a keytab into a private KRB5CCNAME) the first
  cell runs on the Livy server, and both Apache's access log and the Livy
  server's request log show the user's principal;
* without a ticket the cell is an error reply whose evalue says to run kinit.

Needs Debian's krb5-kdc, krb5-admin-server (kadmin.local), krb5-user, apache2
and libapache2-mod-auth-gssapi (scripts/krb_deps.sh); skips when any is
missing.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import Kernel
from test_livy import Livy, texts

REALM = "KINDLING.TEST"
USER = "alice"
# SPNEGO asks for HTTP@<host of the URL>; with dns_canonicalize_hostname and
# rdns off (below) that is the name exactly as written in the URL.
HOST = "localhost"
APACHE_MODULES = "/usr/lib/apache2/modules"
TOOLS = ["krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kdestroy", "apache2"]


def _which(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def _missing():
    miss = [t for t in TOOLS if not _which(t)]
    for mod in ("mod_auth_gssapi.so", "mod_proxy_http.so", "mod_headers.so"):
        if not os.path.exists(os.path.join(APACHE_MODULES, mod)):
            miss.append(mod)
    return miss


pytestmark = pytest.mark.skipif(
    bool(_missing()),
    reason="Kerberos test needs krb5-kdc, krb5-admin-server, krb5-user, apache2 and "
           "libapache2-mod-auth-gssapi (run scripts/krb_deps.sh as root); missing: "
           + ", ".join(_missing()))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on port {port} within {timeout}s")


def stop(proc, timeout=10):
    """Terminate and reap a child; kill it if it does not go."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class Realm:
    """A KDC for REALM on a free loopback port, with principals USER and
    HTTP/HOST and a keytab for each."""

    def __init__(self, root):
        self.dir = root
        self.port = free_port()
        self.krb5_conf = os.path.join(root, "krb5.conf")
        self.kdc_conf = os.path.join(root, "kdc.conf")
        self.user_keytab = os.path.join(root, "user.keytab")
        self.http_keytab = os.path.join(root, "http.keytab")
        self.kdc = None
        with open(self.krb5_conf, "w") as f:
            f.write(f"""[libdefaults]
  default_realm = {REALM}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false
  udp_preference_limit = 1
[realms]
  {REALM} = {{
    kdc = 127.0.0.1:{self.port}
  }}
[domain_realm]
  {HOST} = {REALM}
""")
        with open(self.kdc_conf, "w") as f:
            f.write(f"""[kdcdefaults]
  kdc_ports = {self.port}
  kdc_tcp_ports = {self.port}
[realms]
  {REALM} = {{
    database_name = {root}/principal
    key_stash_file = {root}/stash
    acl_file = {root}/kadm5.acl
    max_life = 1h
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }}
[logging]
  kdc = FILE:{root}/kdc.log
  admin_server = FILE:{root}/kadmin.log
  default = FILE:{root}/krb5.log
""")
        self.env = dict(os.environ, KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self.kdc_conf,
                        KRB5RCACHETYPE="none")
        self.env.pop("KRB5CCNAME", None)

    def run(self, *argv):
        r = subprocess.run(list(argv), env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        assert r.returncode == 0, f"{' '.join(argv)} failed: {r.stdout}"
        return r.stdout

    def start(self):
        self.run(_which("kdb5_util"), "create", "-s", "-r", REALM, "-P", "master-" + str(self.port))
        kadmin = _which("kadmin.local")
        for princ, keytab in ((USER, self.user_keytab), (f"HTTP/{HOST}", self.http_keytab)):
            self.run(kadmin, "-r", REALM, "-q", f"addprinc -randkey {princ}@{REALM}")
            self.run(kadmin, "-r", REALM, "-q", f"ktadd -k {keytab} {princ}@{REALM}")
        # Apache's workers run as an unprivileged user when Apache starts as
        # root: they must be able to read the service keytab.
        os.chmod(self.http_keytab, 0o644)
        self.kdc = subprocess.Popen([_which("krb5kdc"), "-n", "-r", REALM], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.kdc, "krb5kdc")

    def kinit(self, ccache):
        """A ticket for USER into ccache (FILE:path), from the keytab."""
        env = dict(self.env, KRB5CCNAME=ccache)
        r = subprocess.run([_which("kinit"), "-k", "-t", self.user_keytab, f"{USER}@{REALM}"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        assert r.returncode == 0, f"kinit failed: {r.stdout}"

    def stop(self):
        stop(self.kdc)


class Apache:
    """Apache in the foreground from a private ServerRoot: a reverse proxy
    to backend_url that requires SPNEGO (mod_auth_gssapi) for every path
    and passes the authenticated principal on as X-Authenticated-User."""

    def __init__(self, root, realm, backend_url):
        self.dir = root
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.access_log = os.path.join(root, "access.log")
        self.error_log = os.path.join(root, "error.log")
        self.proc = None
        mods = ["mpm_event", "authn_core", "authz_core", "authz_user", "auth_gssapi", "proxy", "proxy_http",
                "headers"]
        load = "\n".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in mods)
        # Started as root, Apache's workers drop to an unprivileged user.
        user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
        backend = backend_url.rstrip("/")
        with open(os.path.join(root, "httpd.conf"), "w") as f:
            f.write(f"""ServerRoot "{root}"
ServerName {HOST}
Listen 127.0.0.1:{self.port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
Mutex file:{root} default
{load}
{user}StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
ErrorLog "{self.error_log}"
LogLevel warn
LogFormat "%h \\"%u\\" \\"%r\\" %>s" krb
CustomLog "{self.access_log}" krb
KeepAlive On
<Location "/">
  AuthType GSSAPI
  AuthName "Livy"
  GssapiCredStore keytab:{realm.http_keytab}
  GssapiAllowedMech krb5
  GssapiBasicAuth Off
  Require valid-user
  RequestHeader set X-Authenticated-User "expr=%{{REMOTE_USER}}"
</Location>
ProxyPass "/" "{backend}/"
ProxyPassReverse "/" "{backend}/"
""")
        self.env = dict(realm.env)

    def start(self):
        self.proc = subprocess.Popen(
            [_which("apache2"), "-d", self.dir, "-f", os.path.join(self.dir, "httpd.conf"),
             "-D", "FOREGROUND"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(self.port, self.proc, "apache2")
        except AssertionError as exc:
            stop(self.proc)
            raise AssertionError(f"{exc}: {self.proc.stderr.read()} {self.errors()}") from None

    def access(self):
        if not os.path.exists(self.access_log):
            return []
        return [l.rstrip("\n") for l in open(self.access_log)]

    def errors(self):
        return open(self.error_log).read() if os.path.exists(self.error_log) else ""

    def stop(self):
        # SIGTERM to the parent stops its children too; the parent is reaped.
        stop(self.proc)


@pytest.fixture(scope="module")
def krb():
    """Realm, Livy server and the SPNEGO front, shared by this module's tests."""
    root = tempfile.mkdtemp(prefix="kindling-krb-")
    os.chmod(root, 0o755)  # the keytab is read by Apache's unprivileged workers
    realm = livy = apache = None
    try:
        realm = Realm(root)
        realm.start()
        livy = Livy(pathlib.Path(root))
        apache = Apache(root, realm, livy.url)
        apache.start()
        yield realm, livy, apache
    finally:
        for part in (apache, livy, realm):
            if part is not None:
                part.stop()
        shutil.rmtree(root, ignore_errors=True)


def start_kernel(krb, ccache, tmp_path):
    """A kindling-pyspark kernel whose config.json points at Apache with
    auth Kerberos, with KRB5CCNAME=ccache."""
    realm, _, apache = krb
    cfg = {"kernel_python_credentials": {"url": apache.url, "auth": "Kerberos"}}
    conf = tmp_path / "config.json"
    conf.write_text(json.dumps(cfg))
    saved = dict(os.environ)
    os.environ["SPARKMAGIC_CONF_FILE"] = str(conf)
    os.environ["KRB5_CONFIG"] = realm.krb5_conf
    os.environ["KRB5CCNAME"] = ccache
    try:
        k = Kernel("kindling-pyspark")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    k.drain(0.1)
    return k


def test_ticket_authenticates_through_spnego(kernel_env, krb, tmp_path):
    realm, livy, apache = krb
    ccache = "FILE:" + str(tmp_path / "ccache")
    realm.kinit(ccache)
    before = len(livy.requests())
    k = start_kernel(krb, ccache, tmp_path)
    try:
        r, msgs = k.execute("print(6 * 7)")
        assert r["content"]["status"] == "ok", r["content"]
        t = texts(msgs)
        assert "42" in t and "SparkSession available as 'spark'." in t
        r, msgs = k.execute("print('again')")
        assert r["content"]["status"] == "ok", r["content"]
        assert "again" in texts(msgs)
    finally:
        k.stop()
    principal = f"{USER}@{REALM}"
    # Every request that reached Livy was authenticated by Apache as the user.
    seen = livy.requests()[before:]
    posts = [q for q in seen if q["method"] == "POST" and q["path"] == "/sessions"]
    assert len(posts) == 1, seen
    assert seen and all(q["headers"].get("X-Authenticated-User") == principal for q in seen), seen
    assert any(q["path"].startswith("/sessions/0/statements") for q in seen)
    # Apache logged the principal for the session's creation.
    assert any(f'"{principal}" "POST /sessions HTTP/1.1" 201' in l for l in apache.access()), \
        apache.access()
    # The ticket cache now holds a service ticket for HTTP/localhost: the
    # kernel really did the GSS-API exchange with the user's credentials.
    env = dict(realm.env, KRB5CCNAME=ccache)
    kl = subprocess.run([_which("klist")], env=env, stdout=subprocess.PIPE, text=True, timeout=30)
    assert f"HTTP/{HOST}@{REALM}" in kl.stdout, kl.stdout


def test_no_ticket_is_an_actionable_error_then_kinit_fixes_it(kernel_env, krb, tmp_path):
    realm, livy, apache = krb
    ccache = "FILE:" + str(tmp_path / "no-such-ccache")
    before = len(livy.requests())
    nlog = len(apache.access())
    k = start_kernel(krb, ccache, tmp_path)
    try:
        t0 = time.time()
        r, msgs = k.execute("print(1)")
        c = r["content"]
        assert c["status"] == "error", c
        assert "kinit" in c["evalue"], c["evalue"]
        assert c["ename"] == "AuthenticationError", c["ename"]
        assert "401" in c["evalue"]
        assert [m for m in msgs if m["msg_type"] == "error"], "the error is shown on IOPub"
        assert time.time() - t0 < 20, "a refused request is not retried for long"
        # Apache refused it; nothing reached the Livy server.
        assert not [q for q in livy.requests()[before:] if q["method"] == "POST"]
        assert any('"POST /sessions HTTP/1.1" 401' in l for l in apache.access()[nlog:])
        # Doing what the message says makes the same kernel work.
        realm.kinit(ccache)
        r, msgs = k.execute("print('after kinit')")
        assert r["content"]["status"] == "ok", r["content"]
        assert "after kinit" in texts(msgs)
    finally:
        k.stop()
