package clerksync_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"example.com/saas/internal/clerkfixtures"
)

// The Svix library verifies and signs Svix's own published vectors, with
// and without the whsec_ prefix, and refuses a years-old timestamp and an
// invalid signature.
func TestSvixVectors(t *testing.T) {
	t.Parallel()
	var v struct {
		Static []struct {
			Name, Secret, Payload string
			MsgID                 string `json:"msg_id"`
			Timestamp             int64
			Expected              string `json:"expected_signature"`
		} `json:"static_vectors"`
		Invalid struct {
			Signature string `json:"svix_signature"`
		} `json:"python_invalid_signature_example"`
	}
	if err := json.Unmarshal(clerkfixtures.Bytes(t, "svix-vectors.json"), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Static) == 0 {
		t.Fatal("no static vectors")
	}
	for _, vec := range v.Static {
		t.Run(vec.Name, func(t *testing.T) {
			for _, secret := range []string{vec.Secret, strings.TrimPrefix(vec.Secret, "whsec_")} {
				wh, err := svix.NewWebhook(secret)
				if err != nil {
					t.Fatal(err)
				}
				got, err := wh.Sign(vec.MsgID, time.Unix(vec.Timestamp, 0), []byte(vec.Payload))
				if err != nil || got != vec.Expected {
					t.Errorf("Sign = %q, %v; want %q", got, err, vec.Expected)
				}
				hdr := http.Header{}
				hdr.Set("svix-id", vec.MsgID)
				hdr.Set("svix-timestamp", fmt.Sprint(vec.Timestamp))
				hdr.Set("svix-signature", "v2,xxx "+vec.Expected)
				if err := wh.VerifyIgnoringTimestamp([]byte(vec.Payload), hdr); err != nil {
					t.Errorf("VerifyIgnoringTimestamp: %v", err)
				}
				if err := wh.Verify([]byte(vec.Payload), hdr); err == nil {
					t.Error("Verify accepted a years-old timestamp")
				}
				if vec.MsgID == "msg_p5jXN8AQM9LWM0D4loKWxJek" {
					hdr.Set("svix-signature", v.Invalid.Signature)
					if err := wh.VerifyIgnoringTimestamp([]byte(vec.Payload), hdr); err == nil {
						t.Error("an invalid signature verified")
					}
				}
			}
		})
	}
}
