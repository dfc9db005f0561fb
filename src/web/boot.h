/*
 * boot.h: what both workers do first, before their own files: libsodium,
 * the configuration, the clinic's time zone, libxml2, the form definition.
 */
#ifndef WEB_BOOT_H
#define WEB_BOOT_H

struct config;
struct formdef;

/*
 * Loads conf into cfg and the form definition of cfg's share directory
 * into *fd. Returns 0, or -1 after logging why.
 */
int	worker_boot(const char *conf, struct config *cfg, struct formdef **fd);

#endif
