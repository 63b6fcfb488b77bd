package api

import (
	"strconv"
	"strings"
	"time"
)

// Log filters are richer than the directory's `prop eq 'value'`: times
// compare with ge and le, a status code is a number, and a target is
// matched with a lambda. The parsed filter is still a map, keyed by
// "property op" (e.g. "activityDateTime ge"), with the value as text.

// filterKind says what a log property accepts.
type filterKind int

const (
	// filterText: eq with a quoted string.
	filterText filterKind = iota
	// filterTime: ge or le with a date-time (bare, as Graph writes it, or
	// quoted), each at most once.
	filterTime
	// filterNumber: eq with an integer.
	filterNumber
	// filterAnyID: targetResources/any(t: t/id eq '…').
	filterAnyID
)

// anyIDKey is the map key of a targetResources/any(…) clause.
const anyIDKey = "targetResources/any/id"

// logFilterParser answers a parser for a resource whose properties
// accept what kinds says.
func logFilterParser(resourceName string, kinds map[string]filterKind) func(string) (map[string]string, error) {
	return func(s string) (map[string]string, error) {
		toks, err := tokenize(s)
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for len(toks) > 0 {
			key, val, rest, err := logClause(toks, resourceName, kinds)
			if err != nil {
				return nil, err
			}
			if _, dup := out[key]; dup {
				return nil, unsupported("'%s' appears more than once in the filter.", key)
			}
			out[key] = val
			if len(rest) == 0 {
				break
			}
			if !rest[0].isWord("and") {
				return nil, unsupported("Only 'and' may join filter clauses.")
			}
			if len(rest) == 1 {
				return nil, badRequest("Invalid filter clause: expected 'property eq value' after 'and'.")
			}
			toks = rest[1:]
		}
		if len(out) == 0 {
			return nil, badRequest("Invalid filter clause: expected 'property eq value'.")
		}
		return out, nil
	}
}

// logClause reads one clause from toks and answers its key, its value and
// the tokens after it.
func logClause(toks []token, resourceName string, kinds map[string]filterKind) (key, val string, rest []token, err error) {
	malformed := badRequest("Invalid filter clause: expected 'property operator value'.")
	if toks[0].quoted {
		return "", "", nil, malformed
	}
	if lambda, ok := strings.CutPrefix(toks[0].text, "targetResources/any("); ok {
		if _, allowed := kinds[anyIDKey]; !allowed {
			return "", "", nil, unsupported("Unsupported or invalid query filter clause specified for property 'targetResources' of resource '%s'.", resourceName)
		}
		return anyIDClause(lambda, toks[1:])
	}
	if len(toks) < 3 {
		return "", "", nil, malformed
	}
	prop, op, v := toks[0].text, toks[1], toks[2]
	kind, known := kinds[prop]
	if !known || op.quoted {
		return "", "", nil, unsupported("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, resourceName)
	}
	if !plainText(v.text) {
		return "", "", nil, badRequest("Invalid filter clause: the value for '%s' must be text without control characters.", prop)
	}
	switch kind {
	case filterText:
		if !op.isWord("eq") {
			return "", "", nil, unsupported("Only 'eq' is supported for property '%s' of resource '%s'.", prop, resourceName)
		}
		if !v.quoted {
			return "", "", nil, badRequest("Invalid filter clause: the value for '%s' must be a quoted string.", prop)
		}
		return prop, v.text, toks[3:], nil
	case filterNumber:
		if !op.isWord("eq") {
			return "", "", nil, unsupported("Only 'eq' is supported for property '%s' of resource '%s'.", prop, resourceName)
		}
		if _, err := strconv.Atoi(v.text); err != nil || v.quoted || len(v.text) > 9 {
			return "", "", nil, badRequest("Invalid filter clause: the value for '%s' must be an integer.", prop)
		}
		return prop, v.text, toks[3:], nil
	default: // filterTime
		word := strings.ToLower(op.text)
		if word != "ge" && word != "le" {
			return "", "", nil, unsupported("Only 'ge' and 'le' are supported for property '%s' of resource '%s'.", prop, resourceName)
		}
		if _, err := time.Parse(time.RFC3339Nano, v.text); err != nil {
			return "", "", nil, badRequest("Invalid filter clause: the value for '%s' must be a date and time such as 2026-01-31T00:00:00Z.", prop)
		}
		return prop + " " + word, v.text, toks[3:], nil
	}
}

// anyIDClause reads the rest of `targetResources/any(t: t/id eq '…')`:
// lambda is what followed "any(" in the first token ("t:" or "t:t/id").
func anyIDClause(lambda string, toks []token) (key, val string, rest []token, err error) {
	unsupportedLambda := unsupported("Only targetResources/any(t: t/id eq 'id') is supported.")
	variable, inner, ok := strings.Cut(lambda, ":")
	if !ok || variable == "" {
		return "", "", nil, unsupportedLambda
	}
	if inner == "" {
		if len(toks) == 0 || toks[0].quoted {
			return "", "", nil, unsupportedLambda
		}
		inner, toks = toks[0].text, toks[1:]
	}
	if inner != variable+"/id" || len(toks) < 3 || !toks[0].isWord("eq") || !toks[1].quoted || toks[2].quoted || toks[2].text != ")" {
		return "", "", nil, unsupportedLambda
	}
	if !plainText(toks[1].text) {
		return "", "", nil, badRequest("Invalid filter clause: the value for 'targetResources' must be text without control characters.")
	}
	return anyIDKey, toks[1].text, toks[3:], nil
}

// filterTimes answers a parsed filter's bounds on prop, zero when absent.
func filterTimes(filter map[string]string, prop string) (since, until time.Time) {
	if v, ok := filter[prop+" ge"]; ok {
		since, _ = time.Parse(time.RFC3339Nano, v) // checked by the parser
	}
	if v, ok := filter[prop+" le"]; ok {
		until, _ = time.Parse(time.RFC3339Nano, v)
	}
	return since, until
}
