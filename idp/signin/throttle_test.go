package signin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestThrottleDelay(t *testing.T) {
	t.Parallel()
	th := Throttle{}.withDefaults()
	for failures, want := range map[int64]time.Duration{
		0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 9: 8 * time.Minute,
		10: 15 * time.Minute, 11: 15 * time.Minute, 99: 15 * time.Minute, 100: 24 * time.Hour, 1 << 40: 24 * time.Hour,
	} {
		assert.Equal(t, want, th.delay(failures), "after %d failures", failures)
	}
	assert.Equal(t, "1", retryAfter(time.Millisecond))
	assert.Equal(t, "30", retryAfter(30*time.Second))
	assert.Equal(t, "31", retryAfter(30*time.Second+time.Microsecond))
}

func TestThrottledMessageMatchesRetryAfter(t *testing.T) {
	t.Parallel()
	for wait, want := range map[time.Duration]string{
		500 * time.Millisecond:            "Wait a second",
		30 * time.Second:                  "Wait 30 seconds",
		59*time.Second + time.Millisecond: "Wait 1 minute",
		time.Minute:                       "Wait 1 minute",
		61 * time.Second:                  "Wait 2 minutes",
		15 * time.Minute:                  "Wait 15 minutes",
	} {
		if got := throttledMessage(wait); got != "Too many attempts. "+want+", then try again." {
			t.Errorf("throttledMessage(%v) = %q, want %q", wait, got, want)
		}
	}
}
