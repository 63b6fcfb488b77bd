package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// rowScanner is satisfied by *sql.Row and *sql.Rows, so one scan function per
// record type serves Get and List.
type rowScanner interface {
	Scan(dest ...any) error
}

// queryAll runs query and scans every row with scan. An empty answer is an
// empty, non-nil slice so it serialises as [] rather than null.
func queryAll[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanColumn scans a row of one column.
func scanColumn[T any](r rowScanner) (T, error) {
	var v T
	err := r.Scan(&v)
	return v, err
}

// listArg encodes a string list as JSON text, the same in both dialects. A
// nil list is stored as null and comes back nil.
func listArg(list []string) string {
	b, _ := json.Marshal(list) // cannot fail for []string
	return string(b)
}

// listDest scans a column written by listArg.
type listDest struct{ dst *[]string }

func (d listDest) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case nil:
		*d.dst = nil
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("scan list: unsupported column type %T", src)
	}
	*d.dst = nil
	if err := json.Unmarshal(text, d.dst); err != nil {
		return fmt.Errorf("scan list: %w", err)
	}
	return nil
}

// bytesDest scans a blob, copying it (the driver may reuse its buffer) and
// answering nil for NULL or empty so round trips compare equal.
type bytesDest struct{ dst *[]byte }

func (d bytesDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.dst = nil
	case []byte:
		*d.dst = bytes.Clone(v)
	case string:
		*d.dst = []byte(v)
	default:
		return fmt.Errorf("scan bytes: unsupported column type %T", src)
	}
	if len(*d.dst) == 0 {
		*d.dst = nil
	}
	return nil
}

// conditions builds a WHERE clause with numbered placeholders. A clause
// writes ? for each argument, in order; add numbers them $n.
type conditions struct {
	clauses []string
	args    []any
}

func (c *conditions) add(clause string, args ...any) {
	if strings.Count(clause, "?") != len(args) {
		panic(fmt.Sprintf("sqlstore: clause %q has %d arguments", clause, len(args)))
	}
	var b strings.Builder
	for _, part := range strings.SplitAfter(clause, "?") {
		if rest, ok := strings.CutSuffix(part, "?"); ok {
			c.args = append(c.args, args[0])
			args = args[1:]
			part = rest + "$" + strconv.Itoa(len(c.args))
		}
		b.WriteString(part)
	}
	c.clauses = append(c.clauses, b.String())
}

// where answers the clauses joined with AND.
func (c *conditions) where() string {
	if len(c.clauses) == 0 {
		return "1 = 1"
	}
	return strings.Join(c.clauses, " AND ")
}

// limit answers a LIMIT clause for n > 0 and adds its argument; for n <= 0,
// no cap.
func (c *conditions) limit(n int) string {
	if n <= 0 {
		return ""
	}
	c.args = append(c.args, n)
	return " LIMIT $" + strconv.Itoa(len(c.args))
}

// placeholders answers "$1, $2, …, $n", the VALUES of an INSERT of n
// columns.
func placeholders(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}
