package qr_test

import (
	"fmt"
	"os"

	"github.com/cairn-id/cairn/internal/qr"
)

func ExampleEncode() {
	uri := "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F42"
	png, err := qr.Encode(uri, qr.LevelMedium)
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := qr.Decode(png)
	fmt.Println(text == uri, err)
	// Output: true <nil>
}

func ExampleTerminal() {
	// Draws the code black on white with ANSI colours, then the text.
	if err := qr.Terminal(os.Stdout, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F42"); err != nil {
		fmt.Println(err)
	}
}

func ExampleTerminalWith() {
	// Without colours (NO_COLOR), light modules drawn for a dark terminal.
	err := qr.TerminalWith(os.Stdout, "https://issuer.example", qr.TerminalOptions{Plain: true, Invert: true, NoHint: true})
	fmt.Println(err == nil)
}
