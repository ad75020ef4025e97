package clerkdev

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Metadata routes, with Clerk's two semantics:
//
//   - PATCH /v1/users/{id}/metadata and PATCH /v1/organizations/{id}/metadata merge: each
//     given field is deep-merged into the stored one (nested objects merge, a key set to
//     null is deleted, arrays and other values replace). A field set to null is cleared.
//   - PUT on the same paths, and the metadata fields of PATCH /v1/users/{id} and
//     PATCH /v1/organizations/{id}, replace: each given field becomes the new value
//     ({} clears it; null is stored and returned as null).
//
// A field left out is unchanged. Users have public_metadata, private_metadata and
// unsafe_metadata; organizations have no unsafe_metadata. Every call sends
// user.updated or organization.updated.

// metadataInput holds the metadata fields of a request; nil means "not given".
type metadataInput struct {
	Public  json.RawMessage `json:"public_metadata"`
	Private json.RawMessage `json:"private_metadata"`
	Unsafe  json.RawMessage `json:"unsafe_metadata"`
}

func (in userInput) metadata() metadataInput {
	return metadataInput{Public: in.PublicMeta, Private: in.PrivateMeta, Unsafe: in.UnsafeMeta}
}

func (in orgInput) metadata() metadataInput {
	return metadataInput{Public: in.PublicMeta, Private: in.PrivateMeta}
}

// check refuses a given field that is not a JSON object or null.
func (m metadataInput) check() *apiError {
	for _, f := range []struct {
		param string
		value json.RawMessage
	}{{"public_metadata", m.Public}, {"private_metadata", m.Private}, {"unsafe_metadata", m.Unsafe}} {
		v := bytes.TrimSpace(f.value)
		if len(v) > 0 && v[0] != '{' && string(v) != "null" {
			return errParamValueInvalid(f.param, f.param+" must be a valid key-value object.")
		}
	}
	return nil
}

// replace sets each given field on the stored values; unsafe may be nil (organizations).
func (m metadataInput) replace(public, private, unsafe *json.RawMessage) {
	set := func(dst *json.RawMessage, v json.RawMessage) {
		if v != nil && dst != nil {
			*dst = v
		}
	}
	set(public, m.Public)
	set(private, m.Private)
	set(unsafe, m.Unsafe)
}

// merge deep-merges each given field into the stored values; unsafe may be nil.
func (m metadataInput) merge(public, private, unsafe *json.RawMessage) error {
	for _, f := range []struct {
		dst   *json.RawMessage
		patch json.RawMessage
	}{{public, m.Public}, {private, m.Private}, {unsafe, m.Unsafe}} {
		if f.patch == nil || f.dst == nil {
			continue
		}
		merged, err := mergeMetadata(*f.dst, f.patch)
		if err != nil {
			return err
		}
		*f.dst = merged
	}
	return nil
}

// mergeMetadata returns current with patch deep-merged into it (RFC 7386 JSON Merge
// Patch, which is what Clerk's "deep merge, null deletes" is). A null patch clears.
func mergeMetadata(current, patch json.RawMessage) (json.RawMessage, error) {
	if string(bytes.TrimSpace(patch)) == "null" {
		return nil, nil
	}
	dst, err := decodeObject(current)
	if err != nil {
		return nil, fmt.Errorf("stored metadata: %w", err)
	}
	src, err := decodeObject(patch)
	if err != nil {
		return nil, fmt.Errorf("metadata patch: %w", err)
	}
	mergeInto(dst, src)
	return json.Marshal(dst)
}

func mergeInto(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		obj, isObj := v.(map[string]any)
		if !isObj {
			dst[k] = v
			continue
		}
		sub, ok := dst[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
		}
		mergeInto(sub, obj)
		dst[k] = sub
	}
}

// decodeObject decodes a JSON object (empty or null: an empty one), keeping numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// readMetadata decodes and checks the body of a metadata route.
func readMetadata(r *http.Request) (metadataInput, *apiError) {
	var in metadataInput
	if e := decodeBody(r, &in); e != nil {
		return in, e
	}
	return in, in.check()
}

func (s *Server) mergeUserMetadata(w http.ResponseWriter, r *http.Request) {
	s.userMetadata(w, r, true)
}

func (s *Server) replaceUserMetadata(w http.ResponseWriter, r *http.Request) {
	s.userMetadata(w, r, false)
}

// userMetadata answers PATCH (merge) and PUT (replace) /v1/users/{id}/metadata.
func (s *Server) userMetadata(w http.ResponseWriter, r *http.Request, merge bool) {
	in, e := readMetadata(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(w, r)
	if u == nil {
		return
	}
	if !merge {
		in.replace(&u.PublicMetadata, &u.PrivateMetadata, &u.UnsafeMetadata)
	} else if err := in.merge(&u.PublicMetadata, &u.PrivateMetadata, &u.UnsafeMetadata); err != nil {
		writeAPIError(w, errInternal(err.Error()))
		return
	}
	u.UpdatedAt = s.stampLocked()
	s.emitLocked("user.updated", u.ID, s.userJSONLocked(u), requestInfo(r))
	writeJSON(w, http.StatusOK, s.userJSONLocked(u))
}

func (s *Server) mergeOrgMetadata(w http.ResponseWriter, r *http.Request) {
	s.orgMetadata(w, r, true)
}

func (s *Server) replaceOrgMetadata(w http.ResponseWriter, r *http.Request) {
	s.orgMetadata(w, r, false)
}

// orgMetadata answers PATCH (merge) and PUT (replace) /v1/organizations/{id}/metadata.
func (s *Server) orgMetadata(w http.ResponseWriter, r *http.Request, merge bool) {
	in, e := readMetadata(r)
	if e == nil && in.Unsafe != nil {
		e = errParamUnknown("unsafe_metadata")
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[r.PathValue("id")]
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	if !merge {
		in.replace(&o.PublicMetadata, &o.PrivateMetadata, nil)
	} else if err := in.merge(&o.PublicMetadata, &o.PrivateMetadata, nil); err != nil {
		writeAPIError(w, errInternal(err.Error()))
		return
	}
	o.UpdatedAt = s.stampLocked()
	s.emitLocked("organization.updated", o.ID, s.orgJSONLocked(o), requestInfo(r))
	writeJSON(w, http.StatusOK, s.orgJSONLocked(o))
}
