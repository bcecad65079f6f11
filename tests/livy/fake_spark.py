"""A small, deterministic look-alike of the PySpark API, backed by sqlite3.

The test Livy server (livy_server.py) binds `spark`, `sc` and `sqlContext`
from this module into every pyspark statement namespace, and its SQL and
Scala-subset interpreters use the same `SqlEngine`, so a temp view created
from Python is visible to `kind: sql` statements of the same session, as in
Livy.

Only what notebook clients and their tests touch is provided:

* `SparkSession`: `sql`, `table`, `range`, `createDataFrame`, `read.json`,
  `sparkContext`, `version`, `conf`.
* `DataFrame`: `schema`, `columns`, `dtypes`, `collect`, `take`, `head`,
  `first`, `count`, `limit`, `sample`, `select`, `toJSON`, `show`,
  `printSchema`, `createOrReplaceTempView`, `createTempView`, `rdd`, `isEmpty`.
* `Row`: tuple with attribute and key access and `asDict()`.
* `SparkContext`: `parallelize`, `version`, `applicationId`, `appName`,
  `master`, `defaultParallelism`; `RDD` with `collect`, `take`, `first`,
  `count`, `map`, `flatMap`, `filter`, `reduce`, `sum`, `toDF`.
* Types with Spark's JSON names (`long`, `integer`, `double`, `string`,
  `boolean`, `date`, `timestamp`, `decimal(p,s)`, `binary`, `array`, `map`,
  `struct`, `void`).

Result rows are computed by sqlite; the column types come from the declared
types of the columns the query reads (through a probe view), otherwise from
the values (sqlite INTEGER -> long, REAL -> double, TEXT -> string).
"""

import base64
import datetime
import decimal
import json
import math
import random
import re
import sqlite3
import unicodedata

SPARK_VERSION = "3.5.1"


# ---------------------------------------------------------------------------
# Exceptions, named like the ones PySpark raises so tracebacks read the same.

class AnalysisException(Exception):
    """Raised for queries that reference missing tables, columns, functions."""


AnalysisException.__module__ = "pyspark.errors.exceptions.captured"


class ParseException(AnalysisException):
    """Raised for SQL that does not parse."""


ParseException.__module__ = "pyspark.errors.exceptions.captured"


class Py4JJavaError(Exception):
    """Raised when a (fake) Spark job fails; used for cancelled job groups."""


Py4JJavaError.__module__ = "py4j.protocol"


# ---------------------------------------------------------------------------
# Data types.

class DataType:
    """A Spark SQL data type; `name` is the JSON name (`long`, `string`, ...)."""

    _simple = {"long": "bigint", "integer": "int", "short": "smallint",
               "byte": "tinyint"}

    def __init__(self, name):
        self.name = name

    def jsonValue(self):
        return self.name

    def json(self):
        return json.dumps(self.jsonValue(), separators=(",", ":"),
                          sort_keys=True)

    def simpleString(self):
        return self._simple.get(self.name, self.name)

    def typeName(self):
        return self.name.split("(")[0]

    def __eq__(self, other):
        return isinstance(other, DataType) and self.jsonValue() == other.jsonValue()

    def __hash__(self):
        return hash(json.dumps(self.jsonValue(), sort_keys=True))

    def __repr__(self):
        names = {"long": "LongType", "integer": "IntegerType",
                 "short": "ShortType", "byte": "ByteType",
                 "double": "DoubleType", "float": "FloatType",
                 "string": "StringType", "boolean": "BooleanType",
                 "date": "DateType", "timestamp": "TimestampType",
                 "binary": "BinaryType", "void": "NullType"}
        if self.name.startswith("decimal"):
            return "DecimalType(%s)" % self.name[8:-1]
        return names.get(self.name, self.name) + "()"


class ArrayType(DataType):
    def __init__(self, elementType, containsNull=True):
        super().__init__("array")
        self.elementType = elementType
        self.containsNull = containsNull

    def jsonValue(self):
        return {"type": "array", "elementType": self.elementType.jsonValue(),
                "containsNull": self.containsNull}

    def simpleString(self):
        return "array<%s>" % self.elementType.simpleString()

    def __repr__(self):
        return "ArrayType(%r, %s)" % (self.elementType, self.containsNull)


class MapType(DataType):
    def __init__(self, keyType, valueType, valueContainsNull=True):
        super().__init__("map")
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def jsonValue(self):
        return {"type": "map", "keyType": self.keyType.jsonValue(),
                "valueType": self.valueType.jsonValue(),
                "valueContainsNull": self.valueContainsNull}

    def simpleString(self):
        return "map<%s,%s>" % (self.keyType.simpleString(),
                               self.valueType.simpleString())


class StructField:
    def __init__(self, name, dataType, nullable=True, metadata=None):
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def jsonValue(self):
        return {"name": self.name, "type": self.dataType.jsonValue(),
                "nullable": self.nullable, "metadata": self.metadata}

    def simpleString(self):
        return "%s:%s" % (self.name, self.dataType.simpleString())

    def __repr__(self):
        return "StructField(%r, %r, %s)" % (self.name, self.dataType,
                                            self.nullable)


class StructType(DataType):
    def __init__(self, fields=None):
        super().__init__("struct")
        self.fields = list(fields or [])

    @property
    def names(self):
        return [f.name for f in self.fields]

    def fieldNames(self):
        return self.names

    def add(self, field, data_type=None, nullable=True):
        if isinstance(field, StructField):
            self.fields.append(field)
        else:
            if isinstance(data_type, str):
                data_type = type_from_ddl(data_type)
            self.fields.append(StructField(field, data_type, nullable))
        return self

    def jsonValue(self):
        return {"type": "struct", "fields": [f.jsonValue() for f in self.fields]}

    def simpleString(self):
        return "struct<%s>" % ",".join(f.simpleString() for f in self.fields)

    def __iter__(self):
        return iter(self.fields)

    def __len__(self):
        return len(self.fields)

    def __getitem__(self, key):
        if isinstance(key, str):
            for f in self.fields:
                if f.name == key:
                    return f
            raise KeyError("No StructField named %s" % key)
        return self.fields[key]

    def __repr__(self):
        return "StructType([%s])" % ", ".join(repr(f) for f in self.fields)


def _atomic(name):
    return lambda: DataType(name)


LongType = _atomic("long")
IntegerType = _atomic("integer")
ShortType = _atomic("short")
ByteType = _atomic("byte")
DoubleType = _atomic("double")
FloatType = _atomic("float")
StringType = _atomic("string")
BooleanType = _atomic("boolean")
DateType = _atomic("date")
TimestampType = _atomic("timestamp")
BinaryType = _atomic("binary")
NullType = _atomic("void")


def DecimalType(precision=10, scale=0):
    return DataType("decimal(%d,%d)" % (precision, scale))


# Declared sqlite column type (upper case, parameters stripped) -> Spark name.
_DECL_TYPES = {
    "BIGINT": "long", "INTEGER": "long", "LONG": "long", "INT8": "long",
    "INT": "integer", "MEDIUMINT": "integer", "SMALLINT": "short",
    "TINYINT": "byte", "BYTE": "byte",
    "DOUBLE": "double", "REAL": "double", "DOUBLE PRECISION": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean", "BOOL": "boolean",
    "DATE": "date", "TIMESTAMP": "timestamp", "DATETIME": "timestamp",
    "TEXT": "string", "STRING": "string", "VARCHAR": "string", "CHAR": "string",
    "CLOB": "string", "NVARCHAR": "string", "NCHAR": "string",
    "BLOB": "binary", "BINARY": "binary", "VARBINARY": "binary",
}

# Spark name -> declared sqlite type used when a DataFrame is materialised.
# STRING is avoided on purpose: sqlite gives it NUMERIC affinity.
_SQLITE_DECL = {
    "long": "BIGINT", "integer": "INT", "short": "SMALLINT", "byte": "TINYINT",
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP", "string": "TEXT", "binary": "BLOB", "void": "",
}


def type_from_decl(decl):
    """Map a declared sqlite column type to a Spark DataType, or None."""
    if not decl:
        return None
    text = decl.strip().upper()
    m = re.match(r"^(DECIMAL|NUMERIC)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$",
                 text)
    if m:
        return DecimalType(int(m.group(2) or 10), int(m.group(3) or 0))
    base = re.sub(r"\s*\(.*\)$", "", text)
    name = _DECL_TYPES.get(base)
    return DataType(name) if name else None


def type_from_ddl(text):
    """Parse a Spark DDL type name (`int`, `bigint`, `string`, `decimal(5,2)`)."""
    t = text.strip().lower()
    aliases = {"bigint": "long", "int": "integer", "smallint": "short",
               "tinyint": "byte", "str": "string", "bool": "boolean"}
    if t.startswith("decimal"):
        return type_from_decl(t)
    m = re.match(r"^array\s*<(.+)>$", t)
    if m:
        return ArrayType(type_from_ddl(m.group(1)))
    t = aliases.get(t, t)
    if t in _SQLITE_DECL:
        return DataType(t)
    raise ParseException("[UNSUPPORTED_DATATYPE] Unsupported data type \"%s\"."
                         % text.upper())


def parse_ddl_schema(text):
    """Parse `"a INT, b STRING"` into a StructType."""
    fields = []
    for part in _split_top_level(text, ","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^`?(\w+)`?\s*:?\s+(.+)$", part)
        if not m:
            raise ParseException("[PARSE_SYNTAX_ERROR] Syntax error at or near "
                                 "'%s'." % part)
        fields.append(StructField(m.group(1), type_from_ddl(m.group(2))))
    return StructType(fields)


def _split_top_level(text, sep):
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def infer_type(value):
    """The Spark type PySpark infers for one Python value (None -> void)."""
    if value is None:
        return NullType()
    if isinstance(value, bool):
        return BooleanType()
    if isinstance(value, int):
        return LongType()
    if isinstance(value, float):
        return DoubleType()
    if isinstance(value, str):
        return StringType()
    if isinstance(value, decimal.Decimal):
        return DecimalType(38, 18)
    if isinstance(value, datetime.datetime):
        return TimestampType()
    if isinstance(value, datetime.date):
        return DateType()
    if isinstance(value, (bytes, bytearray)):
        return BinaryType()
    if isinstance(value, Row) and value._names is not None:
        return StructType([StructField(n, infer_type(v))
                           for n, v in zip(value._names, value)])
    if isinstance(value, (list, tuple)):
        elem = NullType()
        for v in value:
            if v is not None:
                elem = infer_type(v)
                break
        return ArrayType(elem)
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                return MapType(infer_type(k), infer_type(v))
        return MapType(StringType(), NullType())
    raise TypeError("not supported type: %s" % type(value))


def _merge_types(a, b):
    if a.name == "void":
        return b
    if b.name == "void" or a == b:
        return a
    if {a.name, b.name} == {"long", "double"}:
        return DoubleType()
    raise TypeError("field: Can not merge type %r and %r" % (a, b))


# ---------------------------------------------------------------------------
# Rows.

class Row(tuple):
    """A result row: a tuple with named fields.

    `Row(a=1, b=2)` keeps the keyword order (PySpark 3), `row.a`, `row["a"]`
    and `row[0]` all work, and `asDict()` returns a dict in field order.
    """

    _names = None  # field names; rows of one result share one list

    def __new__(cls, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Can not use both args and kwargs to create Row")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row._names = list(kwargs)
        else:
            row = tuple.__new__(cls, args)
            row._names = None
        return row

    @classmethod
    def from_pairs(cls, names, values):
        row = tuple.__new__(cls, values)
        row._names = list(names)
        return row

    @classmethod
    def many(cls, names, tuples):
        """Rows of the value tuples, all with the field names `names`.

        One names list is shared by the rows (nothing mutates it) and the
        loop avoids a call per row: collect() of 10,000 rows is several
        times faster than from_pairs() per row.
        """
        names = list(names)
        new = tuple.__new__
        out = []
        append = out.append
        for values in tuples:
            row = new(cls, values)
            row._names = names
            append(row)
        return out

    @property
    def __fields__(self):
        return list(self._names or [])

    def asDict(self, recursive=False):
        if self._names is None:
            raise TypeError("Cannot convert a Row class into dict")

        def conv(v):
            if not recursive:
                return v
            if isinstance(v, Row):
                return v.asDict(True)
            if isinstance(v, list):
                return [conv(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            return v
        return {n: conv(v) for n, v in zip(self._names, self)}

    def __getattr__(self, name):
        if name.startswith("__") or name == "_names":
            raise AttributeError(name)
        names = self._names or []
        try:
            return self[names.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        if isinstance(key, str):
            names = self._names or []
            try:
                return tuple.__getitem__(self, names.index(key))
            except ValueError:
                raise ValueError(key) from None
        return tuple.__getitem__(self, key)

    def __contains__(self, item):
        if self._names is not None:
            return item in self._names
        return tuple.__contains__(self, item)

    def __repr__(self):
        if self._names is None:
            return "<Row(%s)>" % ", ".join(repr(v) for v in self)
        return "Row(%s)" % ", ".join("%s=%r" % (n, v)
                                    for n, v in zip(self._names, self))


# ---------------------------------------------------------------------------
# Value rendering: show() cells and toJSON() records.

def java_double_str(x):
    """Format a float the way Java's Double.toString does."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        s = repr(x)
        return s if ("." in s or "e" in s) else s + ".0"
    sign, digits, exp = decimal.Decimal(repr(x)).as_tuple()
    text = "".join(str(d) for d in digits)
    e10 = exp + len(text) - 1
    digits = text.rstrip("0") or "0"
    mant = digits[0] + "." + (digits[1:] or "0")
    return ("-" if sign else "") + mant + "E" + str(e10)


def _timestamp_str(ts):
    s = ts.strftime("%Y-%m-%d %H:%M:%S")
    if ts.microsecond:
        s += (".%06d" % ts.microsecond).rstrip("0")
    return s


def cell_str(value):
    """Render one value as Dataset.show() does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, datetime.datetime):
        return _timestamp_str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return "[" + " ".join("%02X" % b for b in value) + "]"
    if isinstance(value, Row):
        return "{" + ", ".join(cell_str(v) for v in value) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cell_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("%s -> %s" % (cell_str(k), cell_str(v))
                               for k, v in value.items()) + "}"
    return str(value)


def _half_width(text):
    """Display width: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
               for c in text)


def show_string(names, rows, n=20, truncate=20, vertical=False):
    """Return the text Dataset.showString(n, truncate, vertical) produces."""
    n = max(0, n)
    has_more = len(rows) > n
    shown = rows[:n]

    def cut(text):
        if truncate > 0 and len(text) > truncate:
            return text[:truncate] if truncate < 4 else text[:truncate - 3] + "..."
        return text

    header = [cut(str(c)) for c in names]
    body = [[cut(cell_str(v)) for v in row] for row in shown]
    out = []
    if not vertical:
        widths = [3] * len(header)
        for line in [header] + body:
            for i, cell in enumerate(line):
                widths[i] = max(widths[i], _half_width(cell))

        def pad(cell, width):
            fill = " " * (width - _half_width(cell))
            return fill + cell if truncate > 0 else cell + fill

        sep = "+" + "+".join("-" * w for w in widths) + "+\n"
        out.append(sep)
        out.append("|" + "|".join(pad(c, widths[i])
                                  for i, c in enumerate(header)) + "|\n")
        out.append(sep)
        for line in body:
            out.append("|" + "|".join(pad(c, widths[i])
                                      for i, c in enumerate(line)) + "|\n")
        out.append(sep)
    else:
        name_w = max([3] + [_half_width(c) for c in header])
        data_w = max([3] + [_half_width(c) for line in body for c in line])
        for i, line in enumerate(body):
            out.append(("-RECORD %d" % i).ljust(name_w + data_w + 5, "-") + "\n")
            for name, cell in zip(header, line):
                out.append(" %s | %s \n" % (
                    name + " " * (name_w - _half_width(name)),
                    cell + " " * (data_w - _half_width(cell))))
    if vertical and not body:
        out.append("(0 rows)\n")
    elif has_more:
        out.append("only showing top %d %s\n" % (n, "row" if n == 1 else "rows"))
    return "".join(out)


def _json_value(value):
    """Encode one value as Spark's JSON writer does (UTF-8, compact)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return json.dumps(java_double_str(value))
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return json.dumps(value.strftime("%Y-%m-%dT%H:%M:%S.")
                          + "%03dZ" % (value.microsecond // 1000))
    if isinstance(value, datetime.date):
        return json.dumps(value.isoformat())
    if isinstance(value, (bytes, bytearray)):
        return json.dumps(base64.b64encode(bytes(value)).decode("ascii"))
    if isinstance(value, Row):
        return _json_record(value._names or [], value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":"
                              + _json_value(v) for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _json_record(names, values):
    """One toJSON() record: fields in column order, null fields left out."""
    return "{" + ",".join(json.dumps(n, ensure_ascii=False) + ":" + _json_value(v)
                          for n, v in zip(names, values) if v is not None) + "}"


def sql_json_value(value):
    """A value as Livy's SQL interpreter puts it in its `data` rows."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and \
            value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + \
            "%03dZ" % (value.microsecond // 1000)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return java_double_str(value)
    if isinstance(value, Row):
        return [sql_json_value(v) for v in value]
    if isinstance(value, (list, tuple)):
        return [sql_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): sql_json_value(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------
# Conversion between sqlite storage and Python values of a Spark type.

# Spark types whose Python value is exactly what sqlite returns for them
# (from_storage() would return it unchanged).
_NATIVE = {"long": int, "integer": int, "short": int, "byte": int,
           "double": float, "float": float, "string": str}

_NONE = type(None)


def _convert_column(values, dtype):
    """from_storage() over one column: the column itself when sqlite's
    values already are the Python values, else a new list.

    The type test and the common conversions (booleans stored as 0/1, whole
    doubles stored as integers) run in C (set(map(...)), map()), not as a
    Python call per value: big results are converted in a few ms.
    """
    if dtype is None:
        return values
    kinds = set(map(type, values))
    has_none = _NONE in kinds
    kinds.discard(_NONE)
    name = dtype.name
    py = _NATIVE.get(name)
    if not kinds or (py is not None and kinds <= {py}):
        return values
    if name == "boolean" and kinds <= {int}:
        conv = bool
    elif name in ("double", "float") and kinds <= {int, float}:
        conv = float
    else:
        return [from_storage(v, dtype) for v in values]
    if not has_none:
        return list(map(conv, values))
    return [None if v is None else conv(v) for v in values]


def from_storage(value, dtype):
    """Convert a value read from sqlite to the Python value for `dtype`."""
    if value is None or dtype is None:
        return value
    name = dtype.name
    try:
        if name in ("long", "integer", "short", "byte"):
            return int(value) if not isinstance(value, (bytes, str)) or \
                re.match(r"^-?\d+$", str(value)) else value
        if name in ("double", "float"):
            return float(value) if not isinstance(value, (bytes, str)) else value
        if name == "boolean":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "t", "yes")
            return bool(value)
        if name.startswith("decimal"):
            scale = int(name[:-1].split(",")[1])
            d = decimal.Decimal(str(value))
            return d.quantize(decimal.Decimal(1).scaleb(-scale))
        if name == "date" and isinstance(value, str):
            return datetime.date.fromisoformat(value[:10])
        if name == "timestamp" and isinstance(value, str):
            return datetime.datetime.fromisoformat(value.replace("T", " ")
                                                   .rstrip("Z"))
        if name == "string" and not isinstance(value, str):
            return str(value) if not isinstance(value, bytes) else value
    except (ValueError, ArithmeticError):
        return value
    return value


def to_storage(value):
    """Convert a Python value to something sqlite stores."""
    if value is None or isinstance(value, (int, float, str, bytes)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return _timestamp_str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytearray):
        return bytes(value)
    return _json_value(value)


# ---------------------------------------------------------------------------
# The SQL engine shared by all interpreters of one session.

_PROBE_VIEW = "__livy_probe_view"


class SqlEngine:
    """Runs Spark-flavoured SQL on one in-memory sqlite database."""

    def __init__(self):
        self.conn = sqlite3.connect(":memory:", check_same_thread=False,
                                    isolation_level=None)

    def close(self):
        self.conn.close()

    def run(self, query):
        """Execute one statement; return (StructType, list of value tuples).

        DDL and DML return an empty schema and no rows. Errors are raised as
        AnalysisException / ParseException with Spark-style messages.
        """
        q = query.strip()
        while q.endswith(";"):
            q = q[:-1].rstrip()
        if not q:
            raise ParseException("[PARSE_EMPTY_STATEMENT] Syntax Error, "
                                 "unexpected empty statement.")
        if re.match(r"(?is)^show\s+tables\s*$", q):
            return self._show_tables()
        declared = self._probe_types(q)
        try:
            cur = self.conn.execute(q)
            raw = cur.fetchall() if cur.description else []
        except (sqlite3.Error, sqlite3.Warning, ValueError) as exc:
            raise translate_sql_error(exc) from None
        if not cur.description:
            return StructType([]), []
        names = [d[0] for d in cur.description]
        types = []
        for i, _ in enumerate(names):
            t = declared[i] if declared and i < len(declared) else None
            if t is None:
                t = NullType()
                for row in raw:
                    if row[i] is not None:
                        t = infer_type(row[i])
                        break
            types.append(t)
        schema = StructType([StructField(n, t) for n, t in zip(names, types)])
        # from_storage() per value is slow for big results: convert column
        # by column, and only columns whose sqlite values are not already of
        # the Python type of their Spark type.
        if not raw:
            return schema, []
        cols = list(zip(*raw))
        converted = False
        for i, t in enumerate(types):
            col = _convert_column(cols[i], t)
            if col is not cols[i]:
                cols[i] = col
                converted = True
        return schema, list(zip(*cols)) if converted else raw

    def _probe_types(self, q):
        """Declared types of the result columns, found via a temp view."""
        try:
            self.conn.execute("DROP VIEW IF EXISTS temp.%s" % _PROBE_VIEW)
            self.conn.execute("CREATE TEMP VIEW %s AS %s" % (_PROBE_VIEW, q))
        except (sqlite3.Error, sqlite3.Warning, ValueError):
            return None
        try:
            info = self.conn.execute("PRAGMA temp.table_info(%s)"
                                     % _PROBE_VIEW).fetchall()
            return [type_from_decl(col[2]) for col in info]
        except (sqlite3.Error, sqlite3.Warning, ValueError):
            return None
        finally:
            self.conn.execute("DROP VIEW IF EXISTS temp.%s" % _PROBE_VIEW)

    def _show_tables(self):
        rows = []
        for db, temp in (("main", False), ("temp", True)):
            for (name,) in self.conn.execute(
                    "SELECT name FROM %s.sqlite_master WHERE type IN "
                    "('table','view') AND name NOT LIKE 'sqlite_%%' "
                    "AND name <> ? ORDER BY name" % db, (_PROBE_VIEW,)):
                rows.append(("" if temp else "default", name, temp))
        schema = StructType([StructField("namespace", StringType(), False),
                             StructField("tableName", StringType(), False),
                             StructField("isTemporary", BooleanType(), False)])
        return schema, rows

    def table_exists(self, name):
        for db in ("main", "temp"):
            if self.conn.execute("SELECT 1 FROM %s.sqlite_master WHERE name = ?"
                                 % db, (name,)).fetchone():
                return True
        return False

    def materialise(self, name, schema, rows, replace=True):
        """Store rows as a temp table, the stand-in for a temp view."""
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ParseException("[INVALID_IDENTIFIER] The identifier %s is "
                                 "invalid." % name)
        if not replace and self.table_exists(name):
            raise AnalysisException(
                "[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the "
                "temporary view `%s` because it already exists." % name)
        cols = ", ".join('"%s" %s' % (f.name.replace('"', '""'),
                                      _SQLITE_DECL.get(f.dataType.name,
                                                       _decl_for(f.dataType)))
                         for f in schema.fields)
        self.conn.execute('DROP TABLE IF EXISTS temp."%s"' % name)
        self.conn.execute('DROP VIEW IF EXISTS temp."%s"' % name)
        self.conn.execute('CREATE TEMP TABLE "%s" (%s)' % (name, cols or "dummy"))
        if schema.fields:
            marks = ", ".join("?" * len(schema.fields))
            self.conn.executemany('INSERT INTO temp."%s" VALUES (%s)'
                                  % (name, marks),
                                  [tuple(to_storage(v) for v in r) for r in rows])


def _decl_for(dtype):
    if dtype.name.startswith("decimal"):
        return dtype.name.upper()
    return "TEXT"


def translate_sql_error(exc):
    """Turn a sqlite error into the exception Spark would raise."""
    msg = str(exc)
    m = re.match(r"no such table: (?:main\.|temp\.)?(.+)", msg)
    if m:
        return AnalysisException(
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. "
            "Verify the spelling and correctness of the schema and catalog." %
            m.group(1))
    m = re.match(r"no such column: (.+)", msg)
    if m:
        return AnalysisException(
            "[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column or function "
            "parameter with name `%s` cannot be resolved." % m.group(1))
    m = re.match(r"no such function: (.+)", msg)
    if m:
        return AnalysisException(
            "[UNRESOLVED_ROUTINE] Cannot resolve function `%s` on search path "
            "[`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`]."
            % m.group(1))
    m = re.match(r'near "(.+)": syntax error', msg)
    if m:
        return ParseException("[PARSE_SYNTAX_ERROR] Syntax error at or near "
                              "'%s'." % m.group(1))
    if msg.startswith("incomplete input"):
        return ParseException("[PARSE_SYNTAX_ERROR] Syntax error at or near "
                              "end of input.")
    if "one statement at a time" in msg:
        return ParseException("[PARSE_SYNTAX_ERROR] Syntax error at or near "
                              "';'.")
    m = re.match(r"(?:table|view) (.+) already exists", msg)
    if m:
        return AnalysisException(
            "[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view `%s` "
            "because it already exists." % m.group(1))
    return AnalysisException(msg)


# ---------------------------------------------------------------------------
# RDD, DataFrame, SparkContext, SparkSession.

class RDD:
    """An in-memory list with the RDD methods notebook code commonly uses."""

    def __init__(self, items, ctx=None, partitions=2):
        self._items = list(items)
        self._ctx = ctx
        self._partitions = partitions

    def collect(self):
        return list(self._items)

    def take(self, num):
        return list(self._items[:max(0, int(num))])

    def first(self):
        if not self._items:
            raise ValueError("RDD is empty")
        return self._items[0]

    def count(self):
        return len(self._items)

    def isEmpty(self):
        return not self._items

    def map(self, f):
        return RDD([f(x) for x in self._items], self._ctx, self._partitions)

    def flatMap(self, f):
        return RDD([y for x in self._items for y in f(x)], self._ctx,
                   self._partitions)

    def filter(self, f):
        return RDD([x for x in self._items if f(x)], self._ctx, self._partitions)

    def reduce(self, f):
        if not self._items:
            raise ValueError("Can not reduce() empty RDD")
        acc = self._items[0]
        for x in self._items[1:]:
            acc = f(acc, x)
        return acc

    def sum(self):
        return sum(self._items)

    def sample(self, withReplacement, fraction, seed=None):
        rows = DataFrame(None, StructType([]), [(x,) for x in self._items]) \
            .sample(withReplacement, fraction, seed)._rows
        return RDD([r[0] for r in rows], self._ctx, self._partitions)

    def getNumPartitions(self):
        return self._partitions

    def toDF(self, schema=None):
        if self._ctx is None or self._ctx._session is None:
            raise RuntimeError("no SparkSession for this RDD")
        return self._ctx._session.createDataFrame(self._items, schema)

    def __repr__(self):
        return "ParallelCollectionRDD[0] at readRDDFromFile at PythonRDD.scala:289"


class DataFrame:
    """An immutable result set: a StructType plus a list of value tuples."""

    def __init__(self, session, schema, rows):
        self._session = session
        self._schema = schema
        self._rows = list(map(tuple, rows))

    # -- metadata
    @property
    def schema(self):
        return self._schema

    @property
    def columns(self):
        return self._schema.names

    @property
    def dtypes(self):
        return [(f.name, f.dataType.simpleString()) for f in self._schema.fields]

    def printSchema(self):
        lines = ["root"]
        for f in self._schema.fields:
            lines.append(" |-- %s: %s (nullable = %s)" % (
                f.name, f.dataType.typeName() if not f.dataType.name.startswith(
                    "decimal") else f.dataType.name, str(f.nullable).lower()))
        self._session._out("\n".join(lines) + "\n\n")

    # -- actions
    def _row(self, values):
        return Row.from_pairs(self._schema.names, values)

    def collect(self):
        return Row.many(self._schema.names, self._rows)

    def take(self, num):
        return Row.many(self._schema.names, self._rows[:max(0, int(num))])

    def head(self, n=None):
        if n is None:
            rows = self.take(1)
            return rows[0] if rows else None
        return self.take(n)

    def first(self):
        return self.head()

    def count(self):
        return len(self._rows)

    def isEmpty(self):
        return not self._rows

    def show(self, n=20, truncate=True, vertical=False):
        if isinstance(truncate, bool):
            width = 20 if truncate else 0
        else:
            width = int(truncate)
        self._session._out(show_string(self._schema.names, self._rows, int(n),
                                       width, vertical) + "\n")

    def toJSON(self, use_unicode=True):
        names = self._schema.names
        return RDD([_json_record(names, r) for r in self._rows],
                   self._session.sparkContext)

    @property
    def rdd(self):
        return RDD(self.collect(), self._session.sparkContext)

    # -- transformations
    def limit(self, num):
        return DataFrame(self._session, self._schema, self._rows[:max(0, int(num))])

    def sample(self, withReplacement=None, fraction=None, seed=None):
        if isinstance(withReplacement, float) and fraction is None:
            withReplacement, fraction = False, withReplacement
        elif isinstance(withReplacement, float):
            withReplacement, fraction, seed = False, withReplacement, fraction
        if fraction is None or not 0 <= float(fraction) or (
                not withReplacement and float(fraction) > 1):
            raise ValueError("Fraction must be between 0 and 1 when sampling "
                             "without replacement (got %r)" % fraction)
        rng = random.Random(seed)
        out = []
        for r in self._rows:
            if withReplacement:
                # Poisson(fraction) copies of each row, by Knuth's method.
                k, p, limit = 0, 1.0, math.exp(-float(fraction))
                while True:
                    p *= rng.random()
                    if p <= limit:
                        break
                    k += 1
                out.extend([r] * k)
            elif rng.random() < float(fraction):
                out.append(r)
        return DataFrame(self._session, self._schema, out)

    def select(self, *cols):
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = tuple(cols[0])
        if cols == ("*",):
            return self
        idx = []
        for c in cols:
            if c not in self._schema.names:
                raise AnalysisException(
                    "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function "
                    "parameter with name `%s` cannot be resolved. Did you mean "
                    "one of the following? [%s]." % (
                        c, ", ".join("`%s`" % n for n in self._schema.names)))
            idx.append(self._schema.names.index(c))
        schema = StructType([self._schema.fields[i] for i in idx])
        return DataFrame(self._session, schema,
                         [tuple(r[i] for i in idx) for r in self._rows])

    def createOrReplaceTempView(self, name):
        self._session._engine.materialise(name, self._schema, self._rows)

    def createTempView(self, name):
        self._session._engine.materialise(name, self._schema, self._rows,
                                          replace=False)

    registerTempTable = createOrReplaceTempView

    def __len__(self):
        raise TypeError("object of type 'DataFrame' has no len()")

    def __repr__(self):
        return "DataFrame[%s]" % ", ".join(
            "%s: %s" % (n, t) for n, t in self.dtypes)


class RuntimeConfig:
    def __init__(self, values):
        self._values = dict(values)

    def get(self, key, default=None):
        if key in self._values:
            return self._values[key]
        if default is None:
            raise Py4JJavaError("java.util.NoSuchElementException: %s" % key)
        return default

    def set(self, key, value):
        self._values[key] = str(value)

    def getAll(self):
        return dict(self._values)


class SparkContext:
    """The `sc` of a pyspark statement."""

    def __init__(self, app_id=None, app_name="livy-session", conf=None):
        self.version = SPARK_VERSION
        self.applicationId = app_id
        self.appName = app_name
        self.master = "yarn"
        self.defaultParallelism = 2
        self.sparkUser = lambda: "livy"
        self._conf = RuntimeConfig(conf or {})
        self._session = None

    def parallelize(self, c, numSlices=None):
        return RDD(list(c), self, numSlices or self.defaultParallelism)

    def range(self, start, end=None, step=1, numSlices=None):
        if end is None:
            start, end = 0, start
        return RDD(range(start, end, step), self, numSlices or 2)

    def getConf(self):
        return self._conf

    def setJobGroup(self, groupId, description, interruptOnCancel=False):
        return None

    def setLogLevel(self, level):
        return None

    def __repr__(self):
        return "<SparkContext master=%s appName=%s>" % (self.master, self.appName)


class DataFrameReader:
    def __init__(self, session):
        self._session = session

    def json(self, path, schema=None):
        if isinstance(path, RDD):
            lines = path.collect()
        elif isinstance(path, (list, tuple)):
            lines = list(path)
        else:
            with open(path, encoding="utf-8") as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
        return self._session._from_json_lines(lines, schema)

    def table(self, name):
        return self._session.table(name)


class SparkSession:
    """The `spark` of a pyspark statement, over one SqlEngine."""

    def __init__(self, engine, sc, out):
        self._engine = engine
        self.sparkContext = sc
        sc._session = self
        self._out = out
        self.version = SPARK_VERSION
        self.conf = sc._conf
        self.read = DataFrameReader(self)

    def sql(self, sqlQuery, args=None, **kwargs):
        schema, rows = self._engine.run(sqlQuery)
        return DataFrame(self, schema, rows)

    def table(self, tableName):
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", tableName):
            raise ParseException("[PARSE_SYNTAX_ERROR] Syntax error at or near "
                                 "'%s'." % tableName)
        return self.sql("SELECT * FROM %s" % tableName)

    def range(self, start, end=None, step=1, numPartitions=None):
        if end is None:
            start, end = 0, start
        return DataFrame(self, StructType([StructField("id", LongType(), False)]),
                         [(i,) for i in range(start, end, step)])

    def createDataFrame(self, data, schema=None, samplingRatio=None,
                        verifySchema=True):
        if isinstance(data, RDD):
            data = data.collect()
        data = list(data)
        if isinstance(schema, str):
            schema = parse_ddl_schema(schema)
        names = list(schema) if isinstance(schema, (list, tuple)) else None
        if isinstance(schema, StructType):
            names = schema.names
        records = []
        for item in data:
            if isinstance(item, dict):
                keys = sorted(item) if names is None else names
                records.append((keys, [item.get(k) for k in keys]))
            elif isinstance(item, Row) and item._names is not None:
                records.append((item._names, list(item)))
            elif isinstance(item, (list, tuple)):
                keys = names or ["_%d" % (i + 1) for i in range(len(item))]
                records.append((keys, list(item)))
            else:
                if not isinstance(schema, StructType) and not names:
                    raise TypeError("Can not infer schema for type: %s"
                                    % type(item))
                records.append((names, [item]))
        if isinstance(schema, StructType):
            cols = schema.names
            rows = [tuple(values[keys.index(c)] if c in keys else None
                          for c in cols) for keys, values in records]
            return DataFrame(self, schema, rows)
        cols = []
        for keys, _ in records:
            for k in keys:
                if k not in cols:
                    cols.append(k)
        if names:
            cols = names
        types = [NullType() for _ in cols]
        rows = []
        for keys, values in records:
            row = []
            for i, c in enumerate(cols):
                v = values[keys.index(c)] if c in keys else None
                types[i] = _merge_types(types[i], infer_type(v))
                row.append(v)
            rows.append(row)
        if any(t.name == "void" for t in types) and rows:
            raise ValueError("Some of types cannot be determined after inferring")
        rows = [tuple(float(v) if t.name == "double" and isinstance(v, int)
                      and not isinstance(v, bool) else v
                      for v, t in zip(r, types)) for r in rows]
        return DataFrame(self, StructType([StructField(c, t)
                                           for c, t in zip(cols, types)]), rows)

    def _from_json_lines(self, lines, schema=None):
        records = []
        for line in lines:
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
                records.append(obj)
            except (ValueError, TypeError):
                records.append({"_corrupt_record": line})
        if isinstance(schema, str):
            schema = parse_ddl_schema(schema)
        if schema is None:
            types = {}
            for rec in records:
                for k, v in rec.items():
                    t = _json_infer(v)
                    if k in types:
                        try:
                            types[k] = _merge_types(types[k], t)
                        except TypeError:
                            types[k] = StringType()
                    else:
                        types[k] = t
            fields = [StructField(k, StringType() if types[k].name == "void"
                                  else types[k]) for k in sorted(types)]
            schema = StructType(fields)
        rows = []
        for rec in records:
            row = []
            for f in schema.fields:
                v = rec.get(f.name)
                if f.dataType.name == "double" and isinstance(v, int) and \
                        not isinstance(v, bool):
                    v = float(v)
                elif f.dataType.name == "string" and v is not None and \
                        not isinstance(v, str):
                    v = json.dumps(v, separators=(",", ":"))
                elif isinstance(f.dataType, StructType) and isinstance(v, dict):
                    v = Row.from_pairs(f.dataType.names,
                                       [v.get(n) for n in f.dataType.names])
                row.append(v)
            rows.append(tuple(row))
        return DataFrame(self, schema, rows)

    def stop(self):
        return None

    def newSession(self):
        return self

    def __repr__(self):
        return "<pyspark.sql.session.SparkSession object at 0x%x>" % id(self)


def _json_infer(value):
    if isinstance(value, dict):
        return StructType([StructField(k, _json_infer(value[k]))
                           for k in sorted(value)])
    if isinstance(value, list):
        elem = NullType()
        for v in value:
            try:
                elem = _merge_types(elem, _json_infer(v))
            except TypeError:
                elem = StringType()
        return ArrayType(StringType() if elem.name == "void" else elem)
    return infer_type(value)


class SQLContext:
    """The legacy `sqlContext` entry point, delegating to the session."""

    def __init__(self, session):
        self.sparkSession = session
        self.read = session.read

    def sql(self, sqlQuery):
        return self.sparkSession.sql(sqlQuery)

    def table(self, tableName):
        return self.sparkSession.table(tableName)

    def createDataFrame(self, data, schema=None):
        return self.sparkSession.createDataFrame(data, schema)

    def tableNames(self):
        return [r[1] for r in self.sparkSession._engine.run("SHOW TABLES")[1]]

    def __repr__(self):
        return "<pyspark.sql.context.SQLContext object at 0x%x>" % id(self)
