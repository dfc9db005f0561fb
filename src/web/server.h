/*
 * server.h: a small prefork FastCGI server on libfcgi's fcgiapp.h.
 * The master binds the unix socket (mode 0660, group of nginx's worker),
 * drops root, forks the children and replaces any that die. SIGTERM or
 * SIGINT: stop accepting, let requests in flight finish, exit.
 */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include "web/http.h"

struct server_opts {
	const char	*socket_path;
	const char	*socket_group;	/* "" or NULL: keep */
	const char	*user;		/* "" or NULL: keep */
	unsigned	 children;	/* 0: two per core */
};

struct server_app {
	void	*arg;
	/* In each child, after fork and privilege drop: -1 stops the child. */
	int	(*child_init)(void *arg);
	void	(*child_fini)(void *arg);
	/* One request. Must fill resp; never exits. */
	void	(*handle)(void *arg, struct request *, struct response *);
};

/* Runs until stopped; returns the exit status for main. */
int	server_run(const struct server_opts *, const struct server_app *);

/* Drop root to user (and its groups). 0 on success or when not root. */
int	server_drop_privileges(const char *user);

#endif
