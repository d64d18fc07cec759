// Package examples holds runnable walkthroughs of Cairn (shell scripts over
// the cairn binary): quickstart.sh (what `make demo` runs, offline) and
// accretion.sh (the whole story against a running `cairn up`). Its tests
// run them, and the README's set-up commands from a clean clone, so the
// README stays true.
package examples
