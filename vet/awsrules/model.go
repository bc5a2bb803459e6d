package awsrules

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// template is a SAM template or a serverless.yml reduced to what the rules
// read: functions with their timeouts, event sources, permissions and
// provisioned concurrency, and the CloudFormation resources.
type template struct {
	file      string
	root      *yaml.Node
	doc       map[string]any
	params    map[string]string   // parameter (SAM) or param (serverless) defaults
	resources map[string]resource // by logical id
	resPath   []string            // where Resources are: [Resources] or [resources Resources]
	functions []*function
}

type resource struct {
	typ   string
	props map[string]any
}

type function struct {
	name       string   // logical id (SAM) or function key (serverless)
	path       []string // keys of its definition
	timeout    float64
	code       string // CodeUri or package.artifact
	events     []event
	statements []statement
	pc         bool // provisioned concurrency configured
	pcPath     []string
}

type event struct {
	kind           string // "sqs" or "s3"
	queue          string // logical id of the queue (sqs)
	bucket         string // logical id or name of the bucket (s3)
	prefix, suffix string
	reportFailures bool
	path           []string
}

type statement struct {
	actions   []string
	resources []string // resolved
}

func (t *template) line(path ...string) int { return Line(t.root, path...) }

// parse builds the template model of a decoded document.
func parse(file string, doc map[string]any, root *yaml.Node) *template {
	t := &template{file: file, root: root, doc: doc, params: map[string]string{}, resources: map[string]resource{}}
	serverless := Get(doc, "service") != nil && Get(doc, "provider") != nil
	if serverless {
		t.resPath = []string{"resources", "Resources"}
		for _, stage := range []string{"default"} {
			if ps, ok := Get(doc, "stages", stage, "params").(map[string]any); ok {
				for k, v := range ps {
					t.params["param:"+k] = fmt.Sprint(v)
				}
			}
		}
	} else {
		t.resPath = []string{"Resources"}
		if ps, ok := Get(doc, "Parameters").(map[string]any); ok {
			for k := range ps {
				if d := Get(ps, k, "Default"); d != nil {
					t.params[k] = fmt.Sprint(d)
				}
			}
		}
	}
	if rs, ok := Get(doc, t.resPath...).(map[string]any); ok {
		for id, r := range rs {
			typ, _ := Get(r, "Type").(string)
			props, _ := Get(r, "Properties").(map[string]any)
			t.resources[id] = resource{typ, props}
		}
	}
	if serverless {
		t.serverlessFunctions()
	} else {
		t.samFunctions()
	}
	sort.Slice(t.functions, func(i, j int) bool { return t.functions[i].name < t.functions[j].name })
	return t
}

func (t *template) samFunctions() {
	globalTimeout := t.number(Get(t.doc, "Globals", "Function", "Timeout"), 3)
	globalPC := Get(t.doc, "Globals", "Function", "ProvisionedConcurrencyConfig") != nil
	for id, r := range t.resources {
		if r.typ != "AWS::Serverless::Function" && r.typ != "AWS::Lambda::Function" {
			continue
		}
		path := append(append([]string{}, t.resPath...), id)
		f := &function{name: id, path: path, timeout: t.number(r.props["Timeout"], globalTimeout)}
		if r.typ == "AWS::Lambda::Function" && r.props["Timeout"] == nil {
			f.timeout = 3
		}
		f.code = t.resolve(r.props["CodeUri"])
		if f.code == "" {
			f.code = t.resolve(Get(r.props, "Code", "S3Key"))
		}
		if r.props["ProvisionedConcurrencyConfig"] != nil || globalPC && r.props["AutoPublishAlias"] != nil {
			f.pc = true
			f.pcPath = append(path, "Properties", "ProvisionedConcurrencyConfig")
		}
		if evs, ok := r.props["Events"].(map[string]any); ok {
			for name, ev := range evs {
				p := Get(ev, "Properties")
				epath := append(append([]string{}, path...), "Properties", "Events", name)
				switch Get(ev, "Type") {
				case "SQS":
					f.events = append(f.events, event{kind: "sqs", queue: refID(Get(p, "Queue")),
						reportFailures: contains(Strings(Get(p, "FunctionResponseTypes")), "ReportBatchItemFailures"), path: epath})
				case "S3":
					e := event{kind: "s3", bucket: refID(Get(p, "Bucket")), path: epath}
					e.prefix, e.suffix = t.filter(Get(p, "Filter"))
					f.events = append(f.events, e)
				}
			}
		}
		for _, p := range asList(r.props["Policies"]) {
			t.addPolicy(f, p)
		}
		if role := refID(r.props["Role"]); role != "" {
			t.addRole(f, role)
		}
		t.functions = append(t.functions, f)
	}
	// Event source mappings of plain Lambda functions.
	for id, r := range t.resources {
		if r.typ != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		fn := refID(r.props["FunctionName"])
		for _, f := range t.functions {
			if f.name == fn {
				f.events = append(f.events, event{kind: "sqs", queue: refID(r.props["EventSourceArn"]),
					reportFailures: contains(Strings(r.props["FunctionResponseTypes"]), "ReportBatchItemFailures"),
					path:           append(append([]string{}, t.resPath...), id)})
			}
		}
	}
}

func (t *template) serverlessFunctions() {
	timeout := t.number(Get(t.doc, "provider", "timeout"), 6)
	fns, _ := Get(t.doc, "functions").(map[string]any)
	for name, def := range fns {
		path := []string{"functions", name}
		f := &function{name: name, path: path, timeout: t.number(Get(def, "timeout"), timeout)}
		f.code = t.resolve(Get(def, "package", "artifact"))
		if f.code == "" {
			f.code = t.resolve(Get(def, "handler"))
		}
		if Get(def, "provisionedConcurrency") != nil {
			f.pc = true
			f.pcPath = append(append([]string{}, path...), "provisionedConcurrency")
		}
		for i, ev := range asList(Get(def, "events")) {
			epath := append(append([]string{}, path...), "events", strconv.Itoa(i))
			if sqs := Get(ev, "sqs"); sqs != nil {
				arn := Get(sqs, "arn")
				if arn == nil {
					arn = sqs
				}
				f.events = append(f.events, event{kind: "sqs", queue: refID(arn),
					reportFailures: Get(sqs, "functionResponseType") == "ReportBatchItemFailures", path: epath})
			}
			if s3 := Get(ev, "s3"); s3 != nil {
				e := event{kind: "s3", path: epath}
				if s, ok := s3.(string); ok {
					e.bucket = s
				} else {
					e.bucket = t.resolve(Get(s3, "bucket"))
					for _, r := range asList(Get(s3, "rules")) {
						if p := Get(r, "prefix"); p != nil {
							e.prefix = t.resolve(p)
						}
						if s := Get(r, "suffix"); s != nil {
							e.suffix = t.resolve(s)
						}
					}
				}
				f.events = append(f.events, e)
			}
		}
		for _, s := range asList(Get(t.doc, "provider", "iam", "role", "statements")) {
			f.statements = append(f.statements, t.statement(s))
		}
		if role, ok := Get(def, "role").(string); ok {
			t.addRole(f, role)
		} else if role := refID(Get(def, "role")); role != "" {
			t.addRole(f, role)
		}
		t.functions = append(t.functions, f)
	}
}

// addPolicy adds one entry of a SAM function's Policies.
func (t *template) addPolicy(f *function, p any) {
	m, ok := p.(map[string]any)
	if !ok {
		return // a managed policy by name or ARN: not read
	}
	for _, s := range asList(Get(m, "Statement")) {
		f.statements = append(f.statements, t.statement(s))
	}
	// SAM policy templates that write to a bucket.
	for _, tmpl := range []string{"S3CrudPolicy", "S3WritePolicy", "S3FullAccessPolicy"} {
		if b := Get(m, tmpl, "BucketName"); b != nil {
			f.statements = append(f.statements, statement{actions: []string{"s3:PutObject"}, resources: []string{t.resolve(b) + "/*"}})
		}
	}
}

func (t *template) addRole(f *function, role string) {
	r, ok := t.resources[role]
	if !ok || r.typ != "AWS::IAM::Role" {
		return
	}
	for _, p := range asList(r.props["Policies"]) {
		for _, s := range asList(Get(p, "PolicyDocument", "Statement")) {
			f.statements = append(f.statements, t.statement(s))
		}
	}
}

func (t *template) statement(s any) statement {
	st := statement{actions: Strings(Get(s, "Action"))}
	if Get(s, "Effect") == "Deny" {
		return statement{}
	}
	res := Get(s, "Resource")
	if l, ok := res.([]any); ok {
		for _, r := range l {
			st.resources = append(st.resources, t.resolve(r))
		}
	} else if res != nil {
		st.resources = append(st.resources, t.resolve(res))
	}
	return st
}

// filter returns the prefix and suffix of an S3 notification filter.
func (t *template) filter(f any) (prefix, suffix string) {
	for _, r := range asList(Get(f, "S3Key", "Rules")) {
		v := t.resolve(Get(r, "Value"))
		switch strings.ToLower(fmt.Sprint(Get(r, "Name"))) {
		case "prefix":
			prefix = v
		case "suffix":
			suffix = v
		}
	}
	return prefix, suffix
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// resolve renders a value as a string: parameters by their defaults,
// !GetAtt X.Arn as "arn-of:X", !Ref of a resource as "ref:X", !Sub with
// its known variables substituted.
func (t *template) resolve(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return t.sub(v)
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			if p, ok := t.params[r]; ok {
				return p
			}
			return "ref:" + r
		}
		if g, ok := v["Fn::GetAtt"].(string); ok {
			id, attr, _ := strings.Cut(g, ".")
			if attr == "Arn" {
				return "arn-of:" + id
			}
			return "att:" + g
		}
		if s := v["Fn::Sub"]; s != nil {
			if l, ok := s.([]any); ok && len(l) > 0 {
				s = l[0]
			}
			str, _ := s.(string)
			return t.sub(str)
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			var parts []string
			for _, p := range asList(j[1]) {
				parts = append(parts, t.resolve(p))
			}
			return strings.Join(parts, sep)
		}
	default:
		return fmt.Sprint(v)
	}
	return ""
}

func (t *template) sub(s string) string {
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if p, ok := t.params[name]; ok {
			return p
		}
		if id, attr, ok := strings.Cut(name, "."); ok && attr == "Arn" {
			if _, ok := t.resources[id]; ok {
				return "arn-of:" + id
			}
		}
		if _, ok := t.resources[name]; ok {
			return "ref:" + name
		}
		return m
	})
}

// refID returns the logical id a !Ref or !GetAtt names, or "".
func refID(v any) string {
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			return r
		}
		if g, ok := v["Fn::GetAtt"].(string); ok {
			id, _, _ := strings.Cut(g, ".")
			return id
		}
	}
	return ""
}

// number returns v as a number, with parameters (a !Ref, ${param:x})
// resolved to their defaults, or def.
func (t *template) number(v any, def float64) float64 {
	switch v.(type) {
	case map[string]any, string:
		v = t.resolve(v)
	}
	return number(v, def)
}

func number(v any, def float64) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return def
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
