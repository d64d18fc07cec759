package batch

import (
	"fmt"
	"io"
	"strings"
)

const barWidth = 30

// progress draws "[#####.....] 120/500" on a terminal, redrawn in place,
// or one line per tenth of the work elsewhere (logs, CI).
type progress struct {
	w      io.Writer
	tty    bool
	total  int
	decile int
	drawn  bool
}

func newProgress(w io.Writer, tty bool, total int) *progress {
	return &progress{w: w, tty: tty, total: total}
}

func (p *progress) update(done int) {
	if p.w == nil || p.total == 0 {
		return
	}
	if p.tty {
		filled := done * barWidth / p.total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), done, p.total)
		p.drawn = true
		return
	}
	d := done * 10 / p.total
	if d > p.decile {
		p.decile = d
		fmt.Fprintf(p.w, "offers: %d/%d (%d%%)\n", done, p.total, d*10)
	}
}

// finish ends the redrawn line so later output starts on a new one.
func (p *progress) finish() {
	if p.w != nil && p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}
