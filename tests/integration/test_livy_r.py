"""SparkR sessions and the %%sql / %%send_to_spark code Kindling generates
for R and Scala, through the real jupyter_client, against the test Livy
server of tests/livy (its R and Scala subsets run the generated code):
`%spark add -l r`, `%%_do_not_call_change_language -l r`, R output and
errors, typed %%sql results from R with -n/-m/-o/-q, str and df values sent
into R, and a typed table sent into a Scala session and queried there."""
import json

from conftest import outputs
from test_livy import interrupt_running, livy_kernel, texts  # noqa: F401  (livy_kernel is a fixture)


def posted(server, kind=None):
    """Session kinds POSTed, or the codes of statements of the given kind."""
    if kind is None:
        return [json.loads(x["body"])["kind"] for x in server.requests()
                if x["method"] == "POST" and x["path"] == "/sessions"]
    return [json.loads(x["body"])["code"] for x in server.requests()
            if x["method"] == "POST" and x["path"].endswith("/statements")
            and json.loads(x["body"]).get("kind") == kind]


def table(msgs):
    """The last table display of a cell: (schema fields, rows, text/plain)."""
    disp = [m for m in msgs if m["msg_type"] == "display_data"
            and "application/vnd.dataresource+json" in m["content"]["data"]]
    assert disp, [m["msg_type"] for m in msgs]
    data = disp[-1]["content"]["data"]
    res = data["application/vnd.dataresource+json"]
    return res["schema"]["fields"], res["data"], data["text/plain"], data.get("text/html", "")


R_TABLE = ('sql("CREATE TABLE t (a INTEGER, b TEXT, d DATE, c REAL)")\n'
           'sql("INSERT INTO t VALUES (1, \'x\', \'2024-01-05\', 1.5), '
           '(2, \'it\'\'s \\"q\\"\', NULL, NULL), (3, NULL, \'2024-03-01\', 0.25)")\n'
           'invisible(NULL)')


def r_kernel(livy_kernel):
    """A kernel whose only session is an added SparkR session."""
    k, server = livy_kernel(config={})
    r, msgs = k.execute(f"%spark add -s rs -l r -u {server.url}")
    assert r["content"]["status"] == "ok", r["content"]
    assert "SparkSession available as 'spark'." in texts(msgs)
    return k, server


def test_spark_add_r_runs_r_code_and_reports_errors(livy_kernel):
    k, server = r_kernel(livy_kernel)
    assert posted(server) == ["sparkr"]
    r, msgs = k.execute('%%spark -s rs\nprint("hello")\nx <- 40 + 2\ncat("x is", x, "\\n")')
    assert r["content"]["status"] == "ok", r["content"]
    assert '[1] "hello"' in texts(msgs) and "x is 42" in texts(msgs)
    # the only added session takes plain cells; R values persist
    r, msgs = k.execute("x * 2")
    assert r["content"]["status"] == "ok" and "[1] 84" in texts(msgs)
    assert posted(server, "sparkr")[-1] == "x * 2"
    # an R error is an error reply with R's message
    r, msgs = k.execute("print(no_such_var)")
    c = r["content"]
    assert c["status"] == "error" and c["ename"] == "Error", c
    assert "object 'no_such_var' not found" in c["evalue"]
    assert len([m for m in msgs if m["msg_type"] == "error"]) == 1
    r, _ = k.execute('sql("SELECT * FROM nowhere")')
    assert r["content"]["status"] == "error" and "nowhere" in r["content"]["evalue"]
    # outside the test server's R subset: rejected, nothing runs
    r, _ = k.execute("library(ggplot2)")
    assert r["content"]["status"] == "error"
    assert r["content"]["ename"] == "NotSupportedInTestServer"


def test_interrupt_cancels_r_statement(livy_kernel):
    k, server = r_kernel(livy_kernel)
    msg_id = interrupt_running(k, server, 'cat("before\\n")\nSys.sleep(30)\ncat("after\\n")')
    k.iopub_for(msg_id)
    r, msgs = k.execute('cat("still here\\n")')
    assert r["content"]["status"] == "ok" and "still here" in texts(msgs)


def test_change_language_hook_starts_sparkr_session(livy_kernel):
    k, server = livy_kernel(config={})
    r, _ = k.execute(f"%_do_not_call_change_endpoint -s {server.url} -t None")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute("%%_do_not_call_change_language -l r")
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute('df <- sql("SELECT 1 AS one, \'a\' AS txt")\nshowDF(df)\ncount(df)')
    assert r["content"]["status"] == "ok", r["content"]
    out = texts(msgs)
    assert "SparkSession available as 'spark'." in out
    assert "|one|txt|" in out and "[1] 1" in out
    assert posted(server) == ["sparkr"]
    assert posted(server, "sparkr")[-1].startswith('df <- sql(')
    r, _ = k.execute("%%_do_not_call_change_language -l python")
    assert r["content"]["status"] == "error"


def test_sql_in_r_session_is_typed_with_flags(livy_kernel):
    k, server = r_kernel(livy_kernel)
    r, _ = k.execute(R_TABLE)
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute("%%sql -n 2 -o top\nSELECT a, b, d, c FROM t ORDER BY a")
    assert r["content"]["status"] == "ok", r["content"]
    fields, rows, text, html = table(msgs)
    assert [(f["name"], f["type"]) for f in fields] == [
        ("a", "integer"), ("b", "string"), ("d", "date"), ("c", "number")], fields
    assert "showing 2 of 3 rows" in text
    assert "long" in html and "date" in html and "double" in html
    assert rows == [{"a": 1, "b": "x", "d": "2024-01-05", "c": 1.5},
                    {"a": 2, "b": "it's \"q\"", "d": None, "c": None}]
    code = posted(server, "sparkr")[-1]
    assert code.startswith("local({\n") and "take(kdSrc, 3)" in code
    # -o keeps the Spark types: the local engine sees a date and a bigint
    r, msgs = k.execute("%%local\nSELECT max(d) AS last, sum(a) AS s FROM top")
    assert r["content"]["status"] == "ok", r["content"]
    assert table(msgs)[1] == [{"last": "2024-01-05", "s": 3}]
    # -n -1: everything, collect() instead of take()
    r, msgs = k.execute("%%sql -n -1\nSELECT a FROM t ORDER BY a")
    assert r["content"]["status"] == "ok", r["content"]
    assert [x["a"] for x in table(msgs)[1]] == [1, 2, 3]
    assert "collect(kdSrc)" in posted(server, "sparkr")[-1]
    # -m sample -r: sparkmagic's sample(), a subset of the rows
    r, msgs = k.execute("%%sql -m sample -r 0.5\nSELECT a FROM t")
    assert r["content"]["status"] == "ok", r["content"]
    assert set(x["a"] for x in table(msgs)[1]) <= {1, 2, 3}
    assert "sample(kdDf, FALSE, 0.5)" in posted(server, "sparkr")[-1]
    # -q: nothing shown; errors are error replies
    r, msgs = k.execute("%%sql -q\nSELECT 1 AS x")
    assert r["content"]["status"] == "ok" and not outputs(msgs)
    r, _ = k.execute("%%sql\nSELECT * FROM missing_table")
    assert r["content"]["status"] == "error" and "missing_table" in r["content"]["evalue"]
    # %%spark -o VAR fetches an R SparkDataFrame variable, typed
    r, msgs = k.execute('%%spark -o late\nlate <- sql("SELECT d FROM t WHERE a > 1")\nprint("made")')
    assert r["content"]["status"] == "ok", r["content"]
    assert "made" in texts(msgs)
    r, msgs = k.execute("%%local\nSELECT count(*) AS n, max(d) AS last FROM late")
    assert table(msgs)[1] == [{"n": 2, "last": "2024-03-01"}]


def test_send_to_spark_str_and_df_into_r(livy_kernel):
    # The table comes from the kernel's own PySpark session; the R session
    # is the only added one, so %%send_to_spark goes there.
    k, server = livy_kernel()
    r, _ = k.execute("spark.sql('CREATE TABLE t (a INTEGER, b TEXT, d DATE)')\n"
                     "spark.sql(\"INSERT INTO t VALUES (1,'x','2024-01-05'),"
                     "(2,'it''s \\\"q\\\" \\\\ é',NULL),(3,NULL,'2024-03-01')\")")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute("%%sql -o top -q\nSELECT a, b, d FROM t ORDER BY a")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute("%%sql -o mx -q\nSELECT max(a) AS m FROM t")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute(f"%spark add -s rs -l r -u {server.url}")
    assert r["content"]["status"] == "ok", r["content"]
    # -t df: rows and column types reach R
    r, msgs = k.execute("%%send_to_spark -i top -t df -n remote")
    assert r["content"]["status"] == "ok", r["content"]
    assert "Successfully passed 'top' as 'remote' to Spark kernel" in texts(msgs)
    assert posted(server, "sparkr")[-1].startswith("remote <- local({")
    r, msgs = k.execute("printSchema(remote)\ncount(remote)\nremote")
    assert r["content"]["status"] == "ok", r["content"]
    out = texts(msgs)
    assert "|-- a: long" in out and "|-- b: string" in out and "|-- d: date" in out, out
    assert "[1] 3" in out and "SparkDataFrame[a:bigint, b:string, d:date]" in out
    # the values survive quoting, and the R session can query them as a view
    r, msgs = k.execute('createOrReplaceTempView(remote, "rv")\n'
                        'collect(sql("SELECT b FROM rv WHERE a = 2"))')
    assert r["content"]["status"] == "ok", r["content"]
    assert 'it\'s "q" \\ é' in texts(msgs)
    r, msgs = k.execute("%%sql -o back\nSELECT a, d FROM rv ORDER BY a")
    assert r["content"]["status"] == "ok", r["content"]
    fields, rows, _, html = table(msgs)
    assert "date" in html and "long" in html
    assert rows[0] == {"a": 1, "d": "2024-01-05"} and rows[1]["d"] is None
    # -m caps the rows sent
    r, _ = k.execute("%%send_to_spark -i top -t df -n two -m 2")
    assert r["content"]["status"] == "ok", r["content"]
    _, msgs = k.execute("count(two)")
    assert "[1] 2" in texts(msgs)
    # -t str: a one-value result becomes a character variable (assign())
    r, msgs = k.execute("%%send_to_spark -i mx -n biggest")
    assert r["content"]["status"] == "ok", r["content"]
    assert posted(server, "sparkr")[-1] == 'assign("biggest", "3")\n'
    _, msgs = k.execute("print(biggest)\nnchar(biggest)")
    assert '[1] "3"' in texts(msgs) and "[1] 1" in texts(msgs)


def test_send_df_to_scala_session_keeps_types(livy_kernel):
    k, server = livy_kernel()
    r, _ = k.execute("spark.sql('CREATE TABLE t (a INTEGER, b TEXT, d DATE, c REAL)')\n"
                     "spark.sql(\"INSERT INTO t VALUES (1,'x','2024-01-05',1.5),"
                     "(2,'say \\\"hi\\\"',NULL,NULL),(3,NULL,'2024-03-01',0.25)\")")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute("%%sql -o top -q\nSELECT a, b, d, c FROM t ORDER BY a")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute(f"%spark add -s sc -l scala -u {server.url}")
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute("%%send_to_spark -i top -t df -n remote")
    assert r["content"]["status"] == "ok", r["content"]
    out = texts(msgs)
    assert "remote: org.apache.spark.sql.DataFrame = [a: bigint, b: string, d: date, c: double]" \
        in out, out
    assert "Successfully passed 'top' as 'remote' to Spark kernel" in out
    code = posted(server, "spark")[-1]
    assert "ObjectMapper()" in code and 'spark.read.schema("`a` BIGINT' in code
    r, msgs = k.execute("%%spark -s sc\nremote.show()\nprintln(remote.count())")
    assert r["content"]["status"] == "ok", r["content"]
    out = texts(msgs)
    assert "|  2|say \"hi\"|      null|null|" in out and "\n3" in out, out
    # queried there with %%sql (Kindling's Scala code): the types hold
    r, _ = k.execute('%%spark -s sc\nremote.createOrReplaceTempView("rv")')
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute("%%sql -n 2\nSELECT a, d, c FROM rv ORDER BY a")
    assert r["content"]["status"] == "ok", r["content"]
    fields, rows, text, html = table(msgs)
    assert "showing 2 of 3 rows" in text
    assert "long" in html and "date" in html and "double" in html
    assert rows == [{"a": 1, "d": "2024-01-05", "c": 1.5}, {"a": 2, "d": None, "c": None}]
    # -m 1 and an empty table
    r, msgs = k.execute("%%send_to_spark -i top -t df -n one -m 1")
    assert r["content"]["status"] == "ok" and "one: org.apache.spark.sql.DataFrame" in texts(msgs)
    r, _ = k.execute("%%sql -o none -q\nSELECT a, d FROM rv WHERE a > 10")
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute("%%send_to_spark -i none -t df -n empty")
    assert r["content"]["status"] == "ok", r["content"]
    _, msgs = k.execute("%%spark -s sc\nprintln(empty.count())\nval e2 = empty")
    assert texts(msgs).strip().startswith("0"), texts(msgs)
    assert "e2: org.apache.spark.sql.DataFrame = [a: bigint, d: date]" in texts(msgs)
