/* boot.c: the start both workers share; see boot.h. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "form/formdef.h"
#include "form/xmlutil.h"
#include "web/boot.h"

int
worker_boot(const char *conf, struct config *cfg, struct formdef **fd)
{
	char	 err[1024], path[4096], xsd[4096];

	if (sodium_init() < 0) {
		log_error("libsodium cannot start");
		return -1;
	}
	if (config_load(conf, cfg, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	/* Dates and times are the clinic's (intake-form.md, api.md). */
	setenv("TZ", cfg->timezone, 1);
	tzset();
	xmlu_init();

	snprintf(path, sizeof(path), "%s/schemas/form-v1.xml", cfg->share_dir);
	snprintf(xsd, sizeof(xsd), "%s/schemas/form-definition.xsd",
	    cfg->share_dir);
	if (formdef_load(path, xsd, fd, err, sizeof(err)) == -1) {
		log_error("form definition refused: %s", err);
		return -1;
	}
	return 0;
}
