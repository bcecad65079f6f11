"""The command line: `kindling sql` (-e, -f, -i, --conf, --master, --format
table|csv|json|tsv, the progress bar, errors and exit codes) and
`kindling submit` (--num-executors, --executor-cores, --executor-memory, a
script file), each run as a real process."""
import csv
import io
import json
import os
import re
import subprocess
import time

import pytest

from conftest import kindling_bin


def run(*args, timeout=120, **kw):
    return subprocess.run([kindling_bin(), *args], capture_output=True, text=True,
                          timeout=timeout, **kw)


def executors_of(pid):
    """Live processes whose parent is pid (the driver's executors)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d))
        except OSError:
            pass
    return out


def alive(pid):
    """pid runs (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    with open(d / "people.csv", "w") as f:
        f.write("name,age,city\nAda,36,London\nLinus,28,Helsinki\n"
                "Grace,45,\"New York, NY\"\nAlan,41,London\n")
    return d


def test_table_output_is_aligned(data):
    r = run("sql", "--silent", "-e",
            "CREATE TEMPORARY VIEW p USING csv OPTIONS (path '%s', header 'true', "
            "inferSchema 'true'); SELECT name, age FROM p ORDER BY age" % (data / "people.csv"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "+-------+-----+",
        "| name  | age |",
        "+-------+-----+",
        "| Linus |  28 |",
        "| Ada   |  36 |",
        "| Alan  |  41 |",
        "| Grace |  45 |",
        "+-------+-----+",
    ]


def test_formats(data):
    q = ("CREATE TEMPORARY VIEW p USING csv OPTIONS (path '%s', header 'true', "
         "inferSchema 'true'); SELECT name, age, city FROM p WHERE age > 40 ORDER BY name"
         % (data / "people.csv"))
    r = run("sql", "--silent", "--format", "csv", "-e", q)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows == [["name", "age", "city"], ["Alan", "41", "London"],
                    ["Grace", "45", "New York, NY"]]
    r = run("sql", "--silent", "--format", "json", "-e", q)
    assert r.returncode == 0, r.stderr
    assert [json.loads(l) for l in r.stdout.splitlines()] == [
        {"name": "Alan", "age": 41, "city": "London"},
        {"name": "Grace", "age": 45, "city": "New York, NY"}]
    r = run("sql", "--silent", "--format", "tsv", "-e", q)
    assert r.stdout.splitlines()[-1] == "Grace\t45\tNew York, NY"


def test_file_init_and_conf(data, tmp_path):
    init = tmp_path / "init.sql"
    init.write_text("CREATE TEMPORARY VIEW p USING csv OPTIONS (path '%s', header 'true', "
                    "inferSchema 'true');\n" % (data / "people.csv"))
    script = tmp_path / "q.sql"
    script.write_text("-- a comment\nSET spark.sql.shuffle.partitions;\n"
                      "SELECT city, count(*) AS n FROM p GROUP BY city ORDER BY n DESC, city;\n")
    r = run("sql", "--silent", "--format", "tsv", "-i", str(init), "-f", str(script),
            "--conf", "spark.sql.shuffle.partitions=3", "--master", "local[2]")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert "spark.sql.shuffle.partitions\t3" in out
    assert out[-3:] == ["London\t2", "Helsinki\t1", "New York, NY\t1"]


def test_errors_exit_nonzero_with_a_caret():
    r = run("sql", "--silent", "-e", "SELECT 1;\nSELECT nmae FROM VALUES (1) AS t(name)")
    assert r.returncode != 0
    assert "UNRESOLVED_COLUMN" in r.stderr and "Did you mean" in r.stderr
    assert "SELECT nmae FROM VALUES (1) AS t(name)\n-------^^^^" in r.stderr
    r = run("sql", "-e", "SELECT * FROM csv.`/no/such/file.csv`")
    assert r.returncode != 0 and "/no/such/file.csv" in r.stderr
    r = run("sql", "--master", "bogus[", "-e", "SELECT 1")
    assert r.returncode != 0 and "master" in r.stderr.lower()


def test_progress_bar_on_stderr(tmp_path):
    # A stage long enough (over half a second) for the bar to be drawn.
    out = tmp_path / "big"
    r = run("sql", "--silent", "-e",
            "INSERT OVERWRITE DIRECTORY '%s' USING csv SELECT id, id %% 97 AS k, "
            "concat('s', CAST(id AS STRING)) AS s FROM range(3000000)" % out)
    assert r.returncode == 0, r.stderr
    r = run("sql", "--silent", "--progress", "--master", "local[1]", "--conf",
            "spark.sql.files.maxPartitionBytes=4m", "-e",
            "SELECT k, count(DISTINCT s) FROM csv.`%s` AS t(id, k, s) GROUP BY k "
            "ORDER BY k LIMIT 1" % out)
    assert r.returncode == 0, r.stderr
    # Which stages outlast the half second depends on the machine: any bar
    # will do, but it must be Spark's "[Stage N:===>   (done + running) / total]".
    assert re.search(r"\[Stage \d+:[=> ]{30}\(\d+ \+ \d+\) / \d+\]", r.stderr), r.stderr
    r = run("sql", "--silent", "--no-progress", "-e", "SELECT 1")
    assert "[Stage" not in r.stderr


def test_submit_runs_a_script_on_executor_processes(data, tmp_path):
    script = tmp_path / "report.sql"
    script.write_text(
        "CREATE TEMPORARY VIEW p USING csv OPTIONS (path '%s', header 'true', inferSchema 'true');\n"
        "SET spark.executor.instances;\nSET spark.executor.memory;\n"
        "SELECT count(*) AS n, max(age) AS oldest FROM p;\n" % (data / "people.csv"))
    p = subprocess.Popen([kindling_bin(), "submit", "--silent", "--format", "tsv",
                          "--num-executors", "2", "--executor-cores", "1",
                          "--executor-memory", "512m", str(script)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = set()
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline:
        seen.update(executors_of(p.pid))
        time.sleep(0.005)
    try:
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    lines = out.splitlines()
    assert "spark.executor.instances\t2" in lines
    assert "spark.executor.memory\t512m" in lines
    assert lines[-1] == "4\t45"
    # It ran on executor processes, and they ended with the driver.
    assert len(seen) >= 2, seen
    assert [pid for pid in seen if alive(pid)] == []


def test_submit_without_a_script_is_a_usage_error():
    r = run("submit", "--num-executors", "2")
    assert r.returncode != 0
    assert "usage" in (r.stderr + r.stdout).lower()
