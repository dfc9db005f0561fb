/*
 * record.h: one intake as the clinic reads it, and its XML export.
 *
 * record_load() takes what the database holds of one intake (struct
 * record_src: ids, the plain answers, the blobs, decision and consent
 * rows, the consent text of its version), opens every blob with the
 * clinic's keyring and gives back a struct record: the answers (struct
 * answers), the flags with their decisions, the consent records. It does
 * no I/O and knows no database: the clinic worker's review pages and
 * intakectl's patient export both fetch the rows, then call it.
 *
 * A blob that does not open (moved to another row, tampered, sealed to a
 * key we do not hold) fails alone: its part is marked unreadable, with the
 * envelope's error code, and every other part is still read. Such a
 * failure is logged with the intake id and the error code, never a value.
 *
 * Decrypted text lives in memory that is wiped when freed.
 */
#ifndef RECORD_RECORD_H
#define RECORD_RECORD_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "crypto/envelope.h"
#include "screen/screen.h"

struct formdef;
struct answers;

/* ---- what the database holds (borrowed pointers, read-only) ---- */

struct record_src_flag {
	long long		 id;
	const char		*severity;	/* the clear column */
	const unsigned char	*blob;		/* rule id, advice, areas */
	size_t			 bloblen;
};

struct record_src_decision {
	long long		 id;
	long long		 flag_id;
	time_t			 decided_at;
	const char		*staff;		/* username */
	const char		*staff_name;	/* display name, or NULL */
	const char		*decision;	/* "proceed", ... */
	const unsigned char	*note_blob;	/* NULL: no note */
	size_t			 note_bloblen;
};

struct record_src_consent {
	long long		 id;
	const char		*kind;		/* "given" or "withdrawn" */
	unsigned		 version;	/* consent text version */
	int			 treatment, privacy;
	const char		*sensitive_areas; /* space-separated, may be "" */
	const char		*signature_name; /* each may be NULL */
	const char		*guardian_name;
	const char		*guardian_relationship;
	time_t			 recorded_at;
	const char		*scope;		/* withdrawn: "all" or an area */
	const char		*staff;		/* withdrawn: who recorded it */
	const unsigned char	*note_blob;	/* NULL: no note */
	size_t			 note_bloblen;
};

struct record_src {
	long long		 intake_id;
	const char		*submission_id;	/* UUID text */
	unsigned		 form_version;
	unsigned		 consent_version;
	const char		*rule_set_version;
	const char		*reference;
	time_t			 received_at;
	long long		 appointment_id; /* 0: unassigned */
	const char		*plain_xml;	/* non-sensitive answers, in clear */
	const unsigned char	*answers_blob;	/* sensitive answers */
	size_t			 answers_bloblen;
	const struct record_src_flag *flags;	/* in stored order */
	size_t			 nflags;
	const struct record_src_decision *decisions; /* oldest first */
	size_t			 ndecisions;
	const struct record_src_consent *consents;   /* oldest first */
	size_t			 nconsents;
	const char		*consent_text;	/* version consent_version, verbatim */
	const char		*consent_sha256; /* its hex digest, or NULL */
};

/* ---- what record_load makes of it ---- */

enum record_state {
	RECORD_READ,		/* opened and understood */
	RECORD_SEALED,		/* the envelope refused it: see err */
	RECORD_MALFORMED,	/* opened, but not a document we wrote */
};

/* One part that could not be read, for messages and logs. */
struct record_part {
	enum record_state	 state;
	enum env_err		 err;	/* RECORD_SEALED: why */
};

/* What a note says (a review decision's, a withdrawal's). */
struct record_note {
	int			 present;	/* a note was stored */
	struct record_part	 part;
	char			*text;		/* RECORD_READ: wiped on free */
};

enum record_decision_kind {
	DECISION_PROCEED,
	DECISION_MODIFY,
	DECISION_AVOID_AREA,
	DECISION_DEFER,
	DECISION_REFER,
	DECISION__MAX
};

struct record_decision {
	long long		 id;
	time_t			 at;
	char			*staff;
	char			*staff_name;	/* may be NULL */
	enum record_decision_kind kind;
	struct record_note	 note;
};

struct record_flag {
	long long		 id;
	enum severity		 severity;	/* sealed value when read */
	struct record_part	 part;
	/* RECORD_READ only: */
	char			*rule;
	char			*ruleset;
	enum timeframe		 timeframe;	/* TF_NONE unless urgent */
	char			*advice;
	char			**areas;
	size_t			 nareas;
	/* every decision on it, oldest first; the last is in force */
	struct record_decision	*decisions;
	size_t			 ndecisions;
};

struct record_consent {
	long long		 id;
	int			 withdrawn;	/* kind "withdrawn" */
	unsigned		 version;
	int			 treatment, privacy;
	char			*sensitive_areas; /* space-separated */
	char			*signature_name;  /* may be NULL, as the others */
	char			*guardian_name;
	char			*guardian_relationship;
	time_t			 recorded_at;
	char			*scope;
	char			*staff;
	struct record_note	 note;
};

struct record {
	const struct formdef	*fd;
	long long		 intake_id;
	char			 submission_id[37];
	unsigned		 form_version, consent_version;
	char			*rule_set_version;
	char			*reference;
	time_t			 received_at;
	long long		 appointment_id;
	struct answers		*answers;	/* plain + sensitive, when read */
	struct record_part	 plain;		/* the answers in clear */
	struct record_part	 sensitive;	/* the sealed answers */
	struct record_flag	*flags;		/* most serious first */
	size_t			 nflags;
	struct record_consent	*consents;	/* oldest first */
	size_t			 nconsents;
	char			*consent_text;	/* NULL when not installed */
	char			*consent_sha256;
};

enum record_err {
	RECORD_OK,
	RECORD_ERR_NOMEM,
	RECORD_ERR_INPUT,	/* src is inconsistent: a caller's bug */
};

/*
 * Open and read one intake. fd is the form definition of src's
 * form_version; ring the clinic's secret keys. A part that cannot be read
 * is marked so (and logged) without failing the call. On RECORD_OK *out
 * is the record: free with record_free().
 */
enum record_err	 record_load(const struct formdef *fd,
		    const struct env_keyring *ring, const struct record_src *src,
		    struct record **out);
void		 record_free(struct record *);		/* accepts NULL; wipes */

/* Why a part could not be read, in words a member of staff understands. */
const char	*record_part_message(const struct record_part *);

/*
 * Append the record as one <record> element in the namespace RECORD_NS
 * (schemas/record.xsd), without an XML declaration so that several can go
 * into a <records> export. exported (0: omitted) is stated on the element.
 */
#define RECORD_NS	"urn:clinic-intake:record:1"
void		 record_write_xml(const struct record *, time_t exported,
		    struct buf *out);

/* ---- review decisions (screening.md) ---- */

const char	*record_decision_name(enum record_decision_kind);
int		 record_decision_parse(const char *);	/* -1 if unknown */
/* urgent and no_massage flags accept only defer and refer. */
int		 record_decision_allowed(enum severity,
		    enum record_decision_kind);

/*
 * Notes. A note is sealed with purpose "note" under a data key of its own,
 * and its plaintext names what it is about, so that a note moved to
 * another decision or to a withdrawal does not read as that one's:
 *   <note flag="ID">text</note>      a decision on flag ID
 *   <note withdrawal="1">text</note> a consent withdrawal
 * record_note_plaintext writes that document; flag_id 0 means a withdrawal.
 * The text must be UTF-8 (record_note_check).
 */
#define RECORD_NOTE_MAX		2000	/* code points */
#define RECORD_NOTE_PURPOSE	"note"
void		 record_note_plaintext(long long flag_id, const char *text,
		    struct buf *out);
/*
 * A note as staff typed it: CRLF and CR become LF, white space trimmed.
 * Returns 0, or -1 when it is not UTF-8, holds a control character other
 * than TAB and LF, or is longer than RECORD_NOTE_MAX.
 */
int		 record_note_check(char *text);

/* RFC 3339 in UTC: "2025-01-31T14:05:09Z" (out at least 21 bytes). */
void		 record_time(time_t, char *out, size_t outsz);

#endif
