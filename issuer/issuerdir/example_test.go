package issuerdir_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

// 'cairn issuer init' creates the directory; an operator command then
// opens it with OpenAdmin: through the admin socket while 'cairn issuer
// serve' runs on it, else directly over the store. The calls and their
// errors are the same either way.
func ExampleOpenAdmin() {
	tmp, _ := os.MkdirTemp("", "issuer-dir")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "desk")
	_, err := issuerdir.Init(dir, issuerdir.InitRequest{URL: "https://issuer.relief.example",
		Names: map[string]string{"en": "Relief NGO"}, Types: []string{"urn:cairn:vct:humanitarian-registration:1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	adm, err := issuerdir.OpenAdmin(context.Background(), dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer adm.Close()
	_, direct := adm.(*issuer.Service)
	fmt.Println("direct:", direct)
	_, err = adm.CreateOffer(context.Background(), issuer.OfferRequest{
		VCT:    "urn:cairn:vct:humanitarian-registration:1",
		Claims: map[string]any{"registration_id": "REG-1", "birthdate": "12/04/1991"},
	})
	var ve *issuer.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("refused at", strings.Join(ve.Paths, " "))
	}
	// Output:
	// direct: true
	// refused at /birthdate /registration_date /registration_place
}
