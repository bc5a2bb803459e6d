# Writes the fixtures of this folder (python3 make.py .) from one list of log
# events, each shape as the tool that writes it does (see README.md).
import csv, gzip, io, json, datetime, os, sys

out = sys.argv[1]
S1 = "2026/11/23/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
S2 = "2026/11/23/[$LATEST]a1b2c3d4e5f60718293a4b5c6d7e8f90"
S3 = "2026/11/23/[7]5e4d3c2b1a0f9e8d7c6b5a4938271605"
GROUP = "/aws/lambda/checkout"
ARN = "arn:aws:lambda:eu-central-1::runtime:0a25e3e7a1cc9ce404bc435eeb2ad358d8fa64338e618d0c224fe509403583ca"
R = ["8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b", "0b1c2d3e-4f5a-4b6c-8d7e-8f9a0b1c2d3e", "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
     "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "3e4f5a6b-7c8d-4e9f-a01b-2c3d4e5f6a7b", "4f5a6b7c-8d9e-4fa0-b12c-3d4e5f6a7b8c",
     "5a6b7c8d-9e0f-4a1b-823c-4d5e6f7a8b9c"]

def t(s):  # "07:00:01.902" on 2026-11-23, UTC
    return datetime.datetime.fromisoformat("2026-11-23T" + s + "+00:00")

def js(d):
    return json.dumps(d, separators=(",", ":"))

ev = []  # (time, stream, message) as CloudWatch stores them: messages end with a newline
def add(ts, stream, msg):
    ev.append((t(ts), stream, msg + "\n"))

# Stream 1, text format: a cold start (its REPORT with X-Ray ids on a second
# line, as Lambda writes it with active tracing), a warm invocation and a timeout.
add("07:00:00.120", S1, "INIT_START Runtime Version: provided:al2023.v92\tRuntime Version ARN: " + ARN)
add("07:00:01.902", S1, "START RequestId: %s Version: $LATEST" % R[0])
add("07:00:01.950", S1, "2026-11-23T07:00:01.950Z\t%s\tINFO\tloading catalogue" % R[0])
add("07:00:02.080", S1, "END RequestId: %s" % R[0])
add("07:00:02.080", S1, "REPORT RequestId: %s\tDuration: 178.31 ms\tBilled Duration: 1961 ms\tMemory Size: 512 MB\tMax Memory Used: 91 MB\tInit Duration: 1782.02 ms\t\nXRAY TraceId: 1-69232f42-3c5d7e9f1a2b4c6d8e0f1a2b\tSegmentId: 4a5b6c7d8e9f0a1b\tSampled: true\t" % R[0])
add("07:00:05.001", S1, "START RequestId: %s Version: $LATEST" % R[1])
add("07:00:05.150", S1, "2026-11-23T07:00:05.150Z\t%s\tINFO\tREPORT generated for customer 42" % R[1])
add("07:00:05.190", S1, "END RequestId: %s" % R[1])
add("07:00:05.190", S1, "REPORT RequestId: %s\tDuration: 188.02 ms\tBilled Duration: 189 ms\tMemory Size: 512 MB\tMax Memory Used: 92 MB\t" % R[1])
add("07:01:00.000", S1, "START RequestId: %s Version: $LATEST" % R[2])
add("07:01:03.001", S1, "2026-11-23T07:01:03.001Z %s Task timed out after 3.00 seconds" % R[2])
add("07:01:03.002", S1, "END RequestId: %s" % R[2])
add("07:01:03.002", S1, "REPORT RequestId: %s\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 512 MB\tMax Memory Used: 140 MB\tStatus: timeout" % R[2])
# Stream 2, JSON format: a cold start, a timeout whose platform.report carries
# only durationMs, a warm invocation.
add("07:00:10.000", S2, js({"time": "2026-11-23T07:00:10.000Z", "type": "platform.initStart", "record": {"initializationType": "on-demand", "phase": "init", "runtimeVersion": "provided:al2023.v92", "runtimeVersionArn": ARN, "functionName": "checkout", "functionVersion": "$LATEST"}}))
add("07:00:11.700", S2, js({"time": "2026-11-23T07:00:11.700Z", "type": "platform.initReport", "record": {"initializationType": "on-demand", "phase": "init", "status": "success", "metrics": {"durationMs": 1690.55}}}))
add("07:00:11.701", S2, js({"time": "2026-11-23T07:00:11.701Z", "type": "platform.start", "record": {"requestId": R[3], "version": "$LATEST"}}))
add("07:00:11.802", S2, js({"timestamp": "2026-11-23T07:00:11.802Z", "level": "INFO", "message": "order \"A-17\" accepted", "requestId": R[3]}))
add("07:00:11.900", S2, js({"time": "2026-11-23T07:00:11.900Z", "type": "platform.report", "record": {"requestId": R[3], "metrics": {"durationMs": 199.12, "billedDurationMs": 1890, "memorySizeMB": 512, "maxMemoryUsedMB": 88, "initDurationMs": 1690.55}, "status": "success"}}))
add("07:00:20.000", S2, js({"time": "2026-11-23T07:00:20.000Z", "type": "platform.start", "record": {"requestId": R[4], "version": "$LATEST"}}))
add("07:00:23.003", S2, js({"time": "2026-11-23T07:00:23.003Z", "type": "platform.report", "record": {"requestId": R[4], "status": "timeout", "errorType": "Sandbox.Timedout", "metrics": {"durationMs": 3000.0}}}))
add("07:00:30.000", S2, js({"time": "2026-11-23T07:00:30.000Z", "type": "platform.start", "record": {"requestId": R[5], "version": "$LATEST"}}))
add("07:00:30.095", S2, js({"time": "2026-11-23T07:00:30.095Z", "type": "platform.report", "record": {"requestId": R[5], "metrics": {"durationMs": 95.4, "billedDurationMs": 96, "memorySizeMB": 512, "maxMemoryUsedMB": 89}, "status": "success"}}))
# Stream 3, JSON format, version 7 with SnapStart: a restore.
add("07:05:00.001", S3, js({"time": "2026-11-23T07:05:00.001Z", "type": "platform.restoreStart", "record": {"runtimeVersion": "java:21.v30", "runtimeVersionArn": ARN, "functionName": "checkout", "functionVersion": "7"}}))
add("07:05:00.212", S3, js({"time": "2026-11-23T07:05:00.212Z", "type": "platform.restoreReport", "record": {"status": "success", "metrics": {"durationMs": 211.3}}}))
add("07:05:00.213", S3, js({"time": "2026-11-23T07:05:00.213Z", "type": "platform.start", "record": {"requestId": R[6], "version": "7"}}))
add("07:05:00.402", S3, js({"time": "2026-11-23T07:05:00.402Z", "type": "platform.report", "record": {"requestId": R[6], "metrics": {"durationMs": 189.0, "billedDurationMs": 190, "memorySizeMB": 512, "maxMemoryUsedMB": 92, "restoreDurationMs": 211.3, "billedRestoreDurationMs": 212}, "status": "success"}}))

ev.sort(key=lambda e: e[0])  # FilterLogEvents interleaves the streams by time
ms = lambda d: int(d.timestamp() * 1000)
iso_z = lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)
insights_ts = lambda d: d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (d.microsecond // 1000)

def write(name, text, mode="w"):
    with open(os.path.join(out, name), mode, **({} if "b" in mode else {"newline": ""})) as f:
        f.write(text)

# Lambda's lines as Lambda writes them, one per line (the console, copies).
write("lambda.log", "".join(m for _, _, m in ev))
# CloudWatch Logs' export to S3: "timestamp message".
write("timestamped.log", "".join("%s %s" % (iso_z(d), m) for d, _, m in ev))
# aws logs tail (the default, --format detailed): aws-cli's
# DetailedLogEventsFormatter: isoformat(timespec='microseconds'), the stream,
# the message, rstrip() + "\n".
write("aws-logs-tail.log", "".join(("%s %s %s" % (d.isoformat(timespec="microseconds"), s, m)).rstrip() + "\n" for d, s, m in ev))
# aws logs tail --format json: PrettyJSONLogEventsFormatter: isoformat(), the
# stream, and messages that are JSON as "\n" + json.dumps(indent=4).
def pretty(m):
    try:
        return "\n" + json.dumps(json.loads(m), indent=4)
    except ValueError:
        return m
write("aws-logs-tail-json.log", "".join(("%s %s %s" % (d.isoformat(), s, pretty(m))).rstrip() + "\n" for d, s, m in ev))
# sam logs: "{log stream} {timestamp_to_iso} {message}", a newline added when
# missing; timestamp_to_iso is utcfromtimestamp(...).isoformat().
def sam_ts(d):
    return datetime.datetime.utcfromtimestamp(ms(d) / 1000.0).isoformat()
write("sam-logs.log", "".join("%s %s %s" % (s, sam_ts(d), m if m.endswith("\n") else m + "\n") for d, s, m in ev))
# serverless logs (Framework v3/v4, format-lambda-log-event.js): platform lines
# with "RequestId:" replaced by "-" ("- Version:"), a REPORT's fields from
# "Duration:" on the next line; other lines trimmed; app lines of the runtime
# as "time - requestId - level" then the text.
def sls(m):
    if not m.startswith("REPORT"):
        m = m.rstrip()
    if m.startswith(("START", "INIT_START", "REPORT", "END")):
        m = m.replace("RequestId:", "-", 1).replace("Version:", "- Version:", 1)
        if "\tDuration:" in m:
            m = "\nDuration:".join(m.split("\tDuration:"))
        return m
    parts = m.split("\t")
    if len(parts) >= 3 and parts[0][:4].isdigit():
        date = datetime.datetime.fromisoformat(parts[0].replace("Z", "+00:00"))
        return "%s - %s - \n%s" % (insights_ts(date), parts[1], m.split(parts[1] + "\t", 1)[1])
    return m
write("serverless-logs.log", "".join((lambda x: x if x.endswith("\n") else x + "\n")(sls(m)) for _, _, m in ev))
# CloudWatch console CSV download: timestamp (Unix ms), message; every field
# quoted, messages keep their newline and so span lines.
buf = io.StringIO()
w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
w.writerow(["timestamp", "message"])
for d, _, m in ev:
    w.writerow([ms(d), m])
write("cloudwatch-console.csv", buf.getvalue())
# CloudWatch Logs Insights CSV export of `fields @timestamp, @message,
# @logStream, @log`.
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["@timestamp", "@message", "@logStream", "@log"])
for d, s, m in ev:
    w.writerow([insights_ts(d), m, s, "123456789012:" + GROUP])
write("insights.csv", buf.getvalue())
# aws logs filter-log-events --log-group-name /aws/lambda/checkout (the CLI
# prints the merged pages with json.dumps(indent=4)).
events = [{"logStreamName": s, "timestamp": ms(d), "message": m, "ingestionTime": ms(d) + 412, "eventId": "3797%052d" % i}
          for i, (d, s, m) in enumerate(ev)]
write("filter-log-events.json", json.dumps({"events": events, "searchedLogStreams": []}, indent=4, ensure_ascii=False) + "\n")
# aws logs get-log-events, once per log stream, appended to one file (the
# events carry no stream name).
docs = []
for s in (S1, S2, S3):
    es = [{"timestamp": ms(d), "message": m, "ingestionTime": ms(d) + 412} for d, st, m in ev if st == s]
    docs.append(json.dumps({"events": es, "nextForwardToken": "f/3797%052d/s" % len(es), "nextBackwardToken": "b/37970000000000000000000000000000000000000000000000000000/s"}, indent=4, ensure_ascii=False))
write("get-log-events.json", "\n".join(docs) + "\n")
# The CloudWatch console's JSON download of log events: an array of events.
write("cloudwatch-console.json", json.dumps([{"timestamp": ms(d), "message": m, "logStreamName": s} for d, s, m in ev], indent=2, ensure_ascii=False) + "\n")
# Logs Insights console export as JSON: the result rows as objects.
write("insights.json", json.dumps([{"@timestamp": insights_ts(d), "@message": m, "@logStream": s, "@log": "123456789012:" + GROUP} for d, s, m in ev], indent=2, ensure_ascii=False) + "\n")
# aws logs get-query-results: rows of field/value pairs (@ptr, which the
# service adds, included).
rows = [[{"field": "@timestamp", "value": insights_ts(d)}, {"field": "@message", "value": m}, {"field": "@logStream", "value": s},
         {"field": "@log", "value": "123456789012:" + GROUP}, {"field": "@ptr", "value": "CmAKJwojMTIzNDU2Nzg5MDEyOi9hd3MvbGFtYmRhL2NoZWNrb3V0EAEiNSAQ%d" % i}]
        for i, (d, s, m) in enumerate(ev)]
write("get-query-results.json", json.dumps({"results": rows, "statistics": {"recordsMatched": float(len(rows)), "recordsScanned": 1824.0, "bytesScanned": 341204.0}, "status": "Complete"}, indent=4) + "\n")
# A CloudWatch Logs subscription payload per log stream (what Firehose
# writes to S3), gzip-compressed.
payloads = []
for s in (S1, S2, S3):
    payloads.append(json.dumps({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": GROUP, "logStream": s,
        "subscriptionFilters": ["to-firehose"], "logEvents": [{"id": "3797%052d" % i, "timestamp": ms(d), "message": m} for i, (d, st, m) in enumerate(ev) if st == s]}, separators=(",", ":")))
write("subscription.json.gz", gzip.compress("".join(payloads).encode(), mtime=0), "wb")
