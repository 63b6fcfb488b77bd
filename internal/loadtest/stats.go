package loadtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"
)

// recorder collects one scenario's outcomes. It keeps at most max
// durations; past that it samples them uniformly (reservoir sampling), so
// memory stays bounded however long the run, and the percentiles are exact
// up to max operations.
type recorder struct {
	mu      sync.Mutex
	max     int
	samples []time.Duration
	ok      int64
	failed  int64
	sum     time.Duration
	longest time.Duration
	errors  map[string]int64
	rng     *rand.Rand
}

// maxErrorKinds bounds how many distinct error messages are kept.
const maxErrorKinds = 20

func newRecorder(max int) *recorder {
	return &recorder{max: max, errors: map[string]int64{}, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

func (r *recorder) success(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok++
	r.sum += d
	r.longest = max(r.longest, d)
	if len(r.samples) < r.max {
		r.samples = append(r.samples, d)
		return
	}
	// Algorithm R: the ok-th duration replaces a kept one with
	// probability max/ok.
	if j := r.rng.Int64N(r.ok); j < int64(r.max) {
		r.samples[j] = d
	}
}

func (r *recorder) failure(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if _, known := r.errors[msg]; !known && len(r.errors) >= maxErrorKinds {
		msg = "(other errors)"
	}
	r.errors[msg]++
}

func (r *recorder) count() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok + r.failed
}

// Stats are the latencies of the successful operations, in milliseconds.
type Stats struct {
	P50  float64 `json:"p50Ms"`
	P90  float64 `json:"p90Ms"`
	P99  float64 `json:"p99Ms"`
	Max  float64 `json:"maxMs"`
	Mean float64 `json:"meanMs"`
	// Samples is how many durations the percentiles were computed from:
	// every operation's, or a uniform sample of them past the cap.
	Samples int `json:"samples"`
}

func (r *recorder) stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ok == 0 {
		return Stats{}
	}
	sorted := slices.Clone(r.samples)
	slices.Sort(sorted)
	return Stats{
		P50: ms(percentile(sorted, 50)), P90: ms(percentile(sorted, 90)), P99: ms(percentile(sorted, 99)),
		Max: ms(r.longest), Mean: ms(r.sum / time.Duration(r.ok)), Samples: len(sorted),
	}
}

// percentile answers the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ErrorCount is one kind of error and how often it happened.
type ErrorCount struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

func (r *recorder) errorCounts() []ErrorCount {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ErrorCount, 0, len(r.errors))
	for msg, n := range r.errors {
		out = append(out, ErrorCount{Message: msg, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Message < out[j].Message
	})
	return out
}
