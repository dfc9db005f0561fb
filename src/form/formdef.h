/*
 * formdef.h: the form definition (schemas/form-v1.xml), loaded once at start.
 * It is the field table: type, limits, choices, required-ness, conditions,
 * sensitivity, labels. No C file repeats any of it; code finds a field by
 * its id (the ids are a contract, intake-form.md) through formdef_field().
 */
#ifndef FORM_FORMDEF_H
#define FORM_FORMDEF_H

#include <stddef.h>
#include <stdint.h>

struct cond;

enum fd_type {
	FD_TEXT,	/* text(n) */
	FD_DATE,	/* YYYY-MM-DD */
	FD_INT,		/* int(a..b) */
	FD_YESNO,	/* a choice of "yes" / "no" */
	FD_CHOICE,	/* one of the choices */
	FD_MULTI,	/* any subset of the choices */
};

enum fd_check {
	FD_CHECK_NONE,
	FD_CHECK_EMAIL,	/* one '@', a dot in the domain, no spaces */
	FD_CHECK_PHONE,	/* digits, spaces, + - ( ) . ; at least 7 digits */
};

#define FD_MAX_CHOICES	64	/* a multi's set is a uint64_t mask */

struct fd_choice {
	char	*value;		/* the wire value, e.g. "lower_back" */
	char	*label;		/* what the patient reads */
};

struct fd_field {
	char		*id;
	enum fd_type	 type;
	size_t		 section;	/* index into formdef.sections */
	int		 sensitive;	/* "S": stored only encrypted */
	int		 required;	/* required (when `when` holds, if set) */
	int		 single_line;	/* text: no line breaks */
	enum fd_check	 check;
	size_t		 maxlen;	/* text: code points */
	long		 min, max;	/* int: inclusive range */
	int		 max_age;	/* date of birth: oldest age, else 0 */
	struct fd_choice *choices;
	size_t		 nchoices;
	int		 exclusive;	/* multi: choice that must stand alone, or -1 */
	int		 default_choice; /* choice: used when absent, or -1 */
	int		 group;		/* "one of these is required" group, or -1 */
	struct cond	*when;		/* asked only when true: else dropped */
	struct cond	*required_when;	/* required when true; never dropped */
	char		*label;
	char		*hint;		/* may be NULL */
	char		*autocomplete;	/* HTML autocomplete token, may be NULL */
};

struct fd_section {
	char	*id;
	char	*title;
	char	*intro;		/* may be NULL */
	int	 consent;	/* the consent text is shown beside it */
	size_t	 first;		/* first field index */
	size_t	 count;		/* number of fields */
};

struct fd_group {
	char	*id;
	char	*message;	/* shown when none of the group is answered */
};

struct formdef {
	unsigned	 version;
	char		*ns;		/* namespace of the <intake> document */
	struct fd_field	*fields;
	size_t		 nfields;
	struct fd_section *sections;
	size_t		 nsections;
	struct fd_group	*groups;
	size_t		 ngroups;
	/* fields the cross-field rules of intake-form.md name, or -1 */
	int		 f_given_name, f_family_name, f_date_of_birth;
	int		 f_signature_name, f_guardian_name;
};

/*
 * Load and check the definition: valid against its XSD, ids unique, every
 * condition naming an earlier field and one of its choices. On failure
 * returns -1 and writes "file:line: problem" into err.
 */
int	 formdef_load(const char *path, const char *xsd_path,
	    struct formdef **out, char *err, size_t errsz);
void	 formdef_free(struct formdef *);
/* Field index by id, or -1. */
int	 formdef_field(const struct formdef *, const char *id);
/* Choice index by value (len bytes), or -1. */
int	 fd_choice_index(const struct fd_field *, const char *value, size_t len);

#endif
