package store

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// attachments are the photos and documents kept on tickets, customers,
// devices and proposals. The record is metadata; the bytes live in the
// store's blob folder under their SHA-256 (files.go), never under a name a
// user gave. The JSON is exactly what the API returns.
var attachments = declare(Resource[Attachment]{
	Name: "attachments", Scope: "files",
	// A new file is <owner>.attachment_added (the owner's read scope and
	// files.read guard it: eventAlsoNeeds); attachment.updated and
	// attachment.deleted carry only the id, all that files.read may learn
	// without the owner's scope.
	Events: []string{"attachment.updated", "attachment.deleted"},
	Filters: []Filter[Attachment]{
		{Name: "owner", Doc: "Only the attachments of this record (ticket:12, customer:7, device:3, proposal:5)",
			Key: func(a *Attachment) []byte { return ownerKey(a.OwnerType, a.OwnerID) }, Parse: parseOwner,
			Show: showOwner},
	},
	Sorts: []Sort[Attachment]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(a *Attachment) []byte { return orderedUint(timeKey(a.UpdatedAt)) }},
	},
})

// bucketAttachmentBlobs counts, by blob hash, the attachment records that
// point at a blob (as the file or its thumbnail). A blob with no count is
// garbage once older than the grace period (CollectFiles); a backup carries
// exactly the blobs counted here. Changed only with the records, in their
// transaction.
var bucketAttachmentBlobs = []byte("attachment_blobs")

// MaxAttachmentSize is the largest file an attachment holds: 20 MiB.
const MaxAttachmentSize = 20 << 20

// Attachment is one file on a record.
type Attachment struct {
	ID        uint64 `json:"id"`
	OwnerType string `json:"owner_type"` // ticket, customer, device, proposal
	OwnerID   uint64 `json:"owner_id"`
	// Filename is for display and downloads only, cleaned of paths and
	// control characters (CleanFilename); it never names anything on disk.
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	// ContentType is sniffed from the bytes; what the client said is ignored.
	ContentType     string `json:"content_type"`
	SHA256          string `json:"sha256"`
	CustomerVisible bool   `json:"customer_visible"`
	// Thumbnail says a JPEG preview exists (JPEG and PNG photos).
	Thumbnail       bool      `json:"thumbnail"`
	ThumbnailSHA256 string    `json:"thumbnail_sha256,omitempty"`
	Width           *int      `json:"width"`  // pixels, for JPEG and PNG
	Height          *int      `json:"height"` // pixels, for JPEG and PNG
	UploadedBy      string    `json:"uploaded_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// AttachmentOwner is a kind of record files can be attached to.
type AttachmentOwner struct {
	Type     string // "ticket": owner_type on the wire
	Resource string // "tickets": its API path and the scope that reads it
	table    *table
}

// attachmentOwners are the kinds of record that take attachments; a new
// kind is one line here (and its routes follow in the API).
var attachmentOwners = []AttachmentOwner{
	{"ticket", "tickets", tickets.table},
	{"customer", "customers", customers.table},
	{"device", "devices", devices.table},
	{"proposal", "proposals", proposals.table},
}

// AttachmentOwners lists the kinds of record that take attachments.
func AttachmentOwners() []AttachmentOwner { return append([]AttachmentOwner(nil), attachmentOwners...) }

// OwnerResource is the resource (and read scope's name) of an owner type,
// or "" for none.
func OwnerResource(ownerType string) string {
	if o, ok := findOwner(ownerType); ok {
		return o.Resource
	}
	return ""
}

func findOwner(ownerType string) (AttachmentOwner, bool) {
	for _, o := range attachmentOwners {
		if o.Type == ownerType {
			return o, true
		}
	}
	return AttachmentOwner{}, false
}

// ownerKey is the owner filter's index value: the type, a colon, the id
// packed to sort.
func ownerKey(ownerType string, id uint64) []byte {
	return appendOrderedUint([]byte(ownerType+":"), id)
}

func parseOwner(raw string) ([]byte, error) {
	typ, id, ok := strings.Cut(raw, ":")
	n, err := parseID(id)
	if _, known := findOwner(typ); !ok || !known || err != nil {
		return nil, Invalid("owner", "must be a record as type:id (ticket:12, customer:7, device:3)")
	}
	return ownerKey(typ, n), nil
}

func showOwner(key []byte) string {
	i := strings.IndexByte(string(key), ':')
	if i < 0 {
		return string(key)
	}
	return string(key[:i]) + ":" + strconv.FormatUint(orderedUintValue(key[i+1:]), 10)
}

// maxFilename bounds a display filename, in characters.
const maxFilename = 200

// CleanFilename makes a client's filename safe to show and to offer in a
// download: only its last path element (either slash), without control or
// bidirectional-override characters (which disguise an extension), trimmed,
// at most maxFilename characters keeping the extension. "" when nothing is left.
func CleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '"':
			return -1
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	if utf8.RuneCountInString(name) > maxFilename {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 && utf8.RuneCountInString(name[i:]) <= 16 {
			ext = name[i:]
		}
		r := []rune(strings.TrimSuffix(name, ext))
		name = string(r[:maxFilename-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}
