package sqlstore

import (
	"fmt"
	"time"
)

// Times are stored in UTC with microsecond precision: INTEGER unix
// microseconds in SQLite, TIMESTAMPTZ in PostgreSQL. The dialect converts
// arguments; the scanners below accept either representation, so the row
// scanning code is shared.

// sqliteTime is SQLite's time argument: unix microseconds, which sort and
// compare correctly in SQL.
func sqliteTime(t time.Time) any { return t.UnixMicro() }

// postgresTime is PostgreSQL's time argument, truncated to the precision
// TIMESTAMPTZ keeps so that what is stored is what comes back.
func postgresTime(t time.Time) any { return t.UTC().Truncate(time.Microsecond) }

// timeArg converts t for the dialect.
func (s *Store) timeArg(t time.Time) any { return s.dialect.timeArg(t) }

// nullTimeArg converts an optional time; nil is NULL.
func (s *Store) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.dialect.timeArg(*t)
}

// timeDest scans a NOT NULL time column into *dst.
type timeDest struct{ dst *time.Time }

func (d timeDest) Scan(src any) error {
	t, ok, err := timeFromDB(src)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("scan time: unexpected NULL")
	}
	*d.dst = t
	return nil
}

// nullTimeDest scans a nullable time column into *dst, nil for NULL.
type nullTimeDest struct{ dst **time.Time }

func (d nullTimeDest) Scan(src any) error {
	t, ok, err := timeFromDB(src)
	if err != nil {
		return err
	}
	*d.dst = nil
	if ok {
		*d.dst = &t
	}
	return nil
}

func timeFromDB(src any) (t time.Time, ok bool, err error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case int64:
		return time.UnixMicro(v).UTC(), true, nil
	case time.Time:
		return v.UTC().Truncate(time.Microsecond), true, nil
	}
	return time.Time{}, false, fmt.Errorf("scan time: unsupported column type %T", src)
}
