// Package examples holds runnable walkthroughs of Cairn (shell scripts over
// the cairn binary). Its test runs them, so the README's demo stays true.
package examples
