package main

import (
	"fmt"
	"go/token"
	"regexp"
	"slices"
	"strings"
)

// Field types: what a user writes in FIELDS, and what each becomes.
const (
	typeString = "string" // text up to 200 characters, a text input
	typeText   = "text"   // long text up to 5000 characters, a textarea
	typeInt    = "int"    // bigint, a number input
	typeBool   = "bool"   // boolean, a checkbox
	typeDate   = "date"   // date, a date input (optional: NULL when empty)
)

var fieldTypes = []string{typeString, typeText, typeInt, typeBool, typeDate}

// Length limits, enforced by the form's Validate and by CHECK constraints.
const (
	stringMax = 200
	textMax   = 5000
)

// Resource is everything the templates need to know about one resource,
// derived from NAME and FIELDS.
type Resource struct {
	// Module is the Go module path, read from go.mod.
	Module string
	// Name and Plural are snake_case: the audit target type and the table.
	Name   string
	Plural string
	// Go and GoPlural are exported Go names (LineItem, LineItems); Var is
	// the local variable name (lineItem), VarPlural its plural.
	Go        string
	GoPlural  string
	Var       string
	VarPlural string
	// Kebab and KebabPlural name URLs, nav keys and data-testid values.
	Kebab       string
	KebabPlural string
	// Label and PluralLabel are sentence case ("Line item", "Line items").
	Label       string
	PluralLabel string
	// Migration is the migration's file name (00004_line_items.sql).
	Migration string
	Fields    []Field
	// Title is the first string field: required, searched, shown as the
	// resource's name in lists, page titles and audit summaries.
	Title Field
}

// Field is one user-defined column.
type Field struct {
	Name  string // snake_case: column, form field and JSON key
	Type  string
	Go    string // exported Go name
	Label string // sentence case
	Title bool
}

// Lower is the label in lower case, for use inside sentences.
func (r Resource) Lower() string { return strings.ToLower(r.Label) }

// An is the label in lower case with its indefinite article: "an invoice".
func (r Resource) An() string {
	if strings.ContainsRune("aeiou", rune(r.Name[0])) {
		return "an " + r.Lower()
	}
	return "a " + r.Lower()
}

// PluralLower is the plural label in lower case.
func (r Resource) PluralLower() string { return strings.ToLower(r.PluralLabel) }

// PermRead and PermManage are the Go names of the resource's permissions.
func (r Resource) PermRead() string   { return "Perm" + r.GoPlural + "Read" }
func (r Resource) PermManage() string { return "Perm" + r.GoPlural + "Manage" }

// Pad pads a column name so the migration's column types line up, as in
// the hand-written migrations.
func (r Resource) Pad(name string) string {
	width := 15
	for _, f := range r.Fields {
		width = max(width, len(f.Name))
	}
	return fmt.Sprintf("%-*s", width, name)
}

// Has reports whether any field has type typ.
func (r Resource) Has(typ string) bool {
	return slices.ContainsFunc(r.Fields, func(f Field) bool { return f.Type == typ })
}

// Others are the fields besides the title.
func (r Resource) Others() []Field {
	var out []Field
	for _, f := range r.Fields {
		if !f.Title {
			out = append(out, f)
		}
	}
	return out
}

// Columns are the fields shown as list columns after the title: all but
// long text.
func (r Resource) Columns() []Field {
	var out []Field
	for _, f := range r.Others() {
		if f.Type != typeText {
			out = append(out, f)
		}
	}
	return out
}

// Kebab is the field name as used in data-testid values.
func (f Field) Kebab() string { return strings.ReplaceAll(f.Name, "_", "-") }

// Lower is the label in lower case.
func (f Field) Lower() string { return strings.ToLower(f.Label) }

var identRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// refusal is an invalid request: the generator explains it in one line,
// exits with status 2, and writes nothing.
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &refusal{fmt.Sprintf(format, args...)}
}

// newResource checks name, plural (optional) and fields and derives every
// name the templates use. It looks at nothing outside its arguments; the
// checks against the repository come later (clashes).
func newResource(module, name, plural, fields string) (Resource, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Resource{}, refuse("NAME is required, for example NAME=invoice")
	}
	if !identRE.MatchString(name) || len(name) < 2 || len(name) > 30 {
		return Resource{}, refuse("NAME %q must be lower-case snake_case (letters, digits, single underscores), start with a letter, 2 to 30 characters", name)
	}
	if plural == "" {
		plural = pluralize(name)
	} else if !identRE.MatchString(plural) || len(plural) > 32 || plural == name {
		return Resource{}, refuse("plural %q must be lower-case snake_case, at most 32 characters, and differ from NAME", plural)
	}
	segs := strings.Split(name, "_")
	if last := segs[len(segs)-1]; buildSuffixes[last] && len(segs) > 1 {
		return Resource{}, refuse("NAME %q ends in _%s, which Go reads as a build constraint in file names", name, last)
	}
	r := Resource{
		Module: module, Name: name, Plural: plural,
		Go: camel(name), GoPlural: camel(plural), Var: lowerCamel(name), VarPlural: lowerCamel(plural),
		Kebab: kebab(name), KebabPlural: kebab(plural),
		Label: sentence(name), PluralLabel: sentence(plural),
	}
	for _, n := range []string{name, plural} {
		if reservedNames[n] {
			return Resource{}, refuse("NAME %q clashes with the app's own %q (models, handlers, views, tables or routes)", name, n)
		}
	}
	if token.IsKeyword(r.Var) || reservedGo[r.Var] {
		return Resource{}, refuse("NAME %q would make %s, a Go keyword, predeclared identifier, package or local name, the generated code's variable", name, r.Var)
	}
	if sqlReserved[plural] {
		return Resource{}, refuse("NAME %q would make %q, an SQL reserved word, the table name", name, plural)
	}
	fs, err := parseFields(fields)
	if err != nil {
		return Resource{}, err
	}
	r.Fields = fs
	for i := range r.Fields {
		if r.Fields[i].Type == typeString {
			r.Fields[i].Title = true
			r.Title = r.Fields[i]
			break
		}
	}
	if r.Title.Name == "" {
		return Resource{}, refuse("FIELDS needs a string field: the first one is the %s's title (lists, search, audit log)", r.Lower())
	}
	for _, ident := range []string{r.Plural + "_org_created_idx", r.Plural + "_org_" + r.Title.Name + "_idx"} {
		if len(ident) > 63 {
			return Resource{}, refuse("the index name %s is longer than PostgreSQL's 63 characters: use a shorter NAME or title field", ident)
		}
	}
	return r, nil
}

// parseFields reads FIELDS: name:type pairs separated by spaces or commas.
func parseFields(s string) ([]Field, error) {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	if len(words) == 0 {
		return nil, refuse(`FIELDS is required, for example FIELDS="number:string amount:int due:date"`)
	}
	var out []Field
	seen := map[string]string{}
	for _, w := range words {
		name, typ, ok := strings.Cut(w, ":")
		if !ok || name == "" || typ == "" {
			return nil, refuse("field %q must be name:type, type one of %s", w, strings.Join(fieldTypes, ", "))
		}
		if !slices.Contains(fieldTypes, typ) {
			return nil, refuse("field %q has unknown type %q: use one of %s", name, typ, strings.Join(fieldTypes, ", "))
		}
		if !identRE.MatchString(name) || len(name) > 40 {
			return nil, refuse("field name %q must be lower-case snake_case, start with a letter, at most 40 characters", name)
		}
		if reservedColumns[name] {
			return nil, refuse("field name %q is reserved: every resource has id, organization_id, created_by, created_at and updated_at, and the generated code uses %q", name, camel(name))
		}
		if sqlReserved[name] {
			return nil, refuse("field name %q is an SQL reserved word: choose another column name", name)
		}
		goName := camel(name)
		if prev, dup := seen[goName]; dup {
			if prev == name {
				return nil, refuse("field %q is listed twice", name)
			}
			return nil, refuse("fields %q and %q would both be %s in Go", prev, name, goName)
		}
		seen[goName] = name
		out = append(out, Field{Name: name, Type: typ, Go: goName, Label: sentence(name)})
	}
	return out, nil
}

// pluralize makes the English plural of a snake_case name's last word by
// the regular rules; -plural overrides it for the irregular ones.
func pluralize(name string) string {
	switch {
	case strings.HasSuffix(name, "y") && len(name) > 1 && !strings.ContainsRune("aeiou", rune(name[len(name)-2])):
		return name[:len(name)-1] + "ies"
	case strings.HasSuffix(name, "s"), strings.HasSuffix(name, "x"), strings.HasSuffix(name, "z"),
		strings.HasSuffix(name, "ch"), strings.HasSuffix(name, "sh"):
		return name + "es"
	default:
		return name + "s"
	}
}

// initialisms are written in capitals in Go names and labels (Go's own
// naming convention: CustomerID, not CustomerId).
var initialisms = map[string]string{
	"api": "API", "css": "CSS", "html": "HTML", "http": "HTTP", "id": "ID", "ip": "IP",
	"json": "JSON", "sku": "SKU", "sql": "SQL", "ui": "UI", "uri": "URI", "url": "URL",
	"uuid": "UUID", "vat": "VAT", "xml": "XML",
}

// camel turns snake_case into an exported Go name.
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if up, ok := initialisms[w]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// lowerCamel turns snake_case into an unexported Go name.
func lowerCamel(s string) string {
	first, rest, _ := strings.Cut(s, "_")
	if rest == "" {
		return first
	}
	return first + camel(rest)
}

func kebab(s string) string { return strings.ReplaceAll(s, "_", "-") }

// sentence turns snake_case into a label: "due_date" → "Due date".
func sentence(s string) string {
	words := strings.Split(s, "_")
	for i, w := range words {
		if up, ok := initialisms[w]; ok {
			words[i] = up
		} else if i == 0 {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// reservedNames are the app's own areas (singular and plural): their
// models, handlers, views, tables and routes exist already or are planned.
// The repository is checked too (clashes); this list also covers names that
// a check of files alone would miss, such as route segments.
var reservedNames = set(
	"project", "projects", "task", "tasks", "user", "users", "organization", "organizations",
	"membership", "memberships", "audit", "audits", "audit_event", "audit_events", "member", "members",
	"setting", "settings", "account", "accounts", "org", "orgs", "api", "apis", "static", "statics",
	"dashboard", "dashboards", "home", "homes", "health", "healthz", "readyz", "webhook", "webhooks",
	"webhook_event", "webhook_events", "session", "sessions", "invitation", "invitations",
	"deleted_membership", "deleted_memberships", "tenant", "tenants", "app", "apps", "me",
	"sign_in", "sign_up", "sign_out", "metric", "metrics", "error", "errors", "form", "forms",
	"route", "routes", "page", "pages", "layout", "layouts", "component", "components",
	"new", "news", "edit", "edits", "delete", "deletes", "migration", "migrations", "goose_db_version",
)

// reservedGo are predeclared identifiers, the packages the generated code
// imports and the local names of the functions where the resource's
// variable lives: the variable must not shadow any of them.
var reservedGo = set(
	// predeclared
	"any", "append", "bool", "byte", "cap", "clear", "close", "comparable", "complex", "complex64",
	"complex128", "copy", "delete", "error", "false", "float32", "float64", "imag", "int", "int8",
	"int16", "int32", "int64", "iota", "len", "make", "max", "min", "new", "nil", "panic", "print",
	"println", "real", "recover", "rune", "string", "true", "uint", "uint8", "uint16", "uint32",
	"uint64", "uintptr",
	// imported packages
	"context", "errors", "fmt", "gorm", "handlers", "http", "models", "paths", "strconv", "strings", "templ",
	"testing", "time", "url", "uuid", "views",
	// locals
	"changes", "ctx", "db", "err", "errs", "id", "in", "ok", "old", "opts", "page", "res", "tx",
)

// reservedColumns are the columns every resource has, and field names whose
// Go names the generated structs already use.
var reservedColumns = set(
	"id", "organization_id", "created_by", "created_at", "updated_at",
	"tenant_owned", "validate", "slug", "action", "cancel_url", "editing", "errors", "updated",
	"can_manage", "query", "next_url", "first_url", "next_cursor",
)

// buildSuffixes are file-name suffixes Go treats as build constraints.
var buildSuffixes = set(
	"test", "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
	"386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
	"ppc64le", "riscv64", "s390x", "wasm",
)

// sqlReserved are PostgreSQL's reserved key words (SQL Key Words appendix,
// "reserved" and "reserved (can be function or type)"): they cannot be
// unquoted table or column names.
var sqlReserved = set(
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
	"binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
	"constraint", "create", "cross", "current_catalog", "current_date", "current_role",
	"current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
	"desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
	"from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
	"into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
	"localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order",
	"outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
	"session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then",
	"to", "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when",
	"where", "window", "with",
)
