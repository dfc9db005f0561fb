/*
 * server.c: prefork FastCGI server; see server.h.
 *
 * Child life: accept one request, mark "in a request", serve it, finish,
 * repeat. SIGTERM in an idle child exits at once (nothing is in flight);
 * in a busy one it only sets a flag, checked after the response is out.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "core/log.h"
#include "web/server.h"

#define SERVER_MAX_CHILDREN	256
#define SERVER_BACKLOG		128
#define SERVER_GRACE_S		30	/* in-flight requests get this long */

static volatile sig_atomic_t server_stop;
static volatile sig_atomic_t server_in_request;

static void
server_child_signal(int sig)
{
	(void)sig;
	if (!server_in_request)
		_exit(0);
	server_stop = 1;
}

static void
server_master_signal(int sig)
{
	(void)sig;
	server_stop = 1;
}

static int
server_bind(const char *path, const char *group)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_error("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_error("cannot remove old socket %s: %s", path,
		    strerror(errno));
		goto err;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_error("bind %s: %s", path, strerror(errno));
		goto err;
	}
	/* Only nginx (its group) and we may connect. */
	if (chmod(path, 0660) == -1) {
		log_error("chmod %s: %s", path, strerror(errno));
		goto err;
	}
	if (group != NULL && *group != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			log_error("no such group: %s", group);
			goto err;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) == -1) {
			log_error("chown %s: %s", path, strerror(errno));
			goto err;
		}
	}
	if (listen(fd, SERVER_BACKLOG) == -1) {
		log_error("listen: %s", strerror(errno));
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

int
server_drop_privileges(const char *user)
{
	struct passwd	*pw;

	if (user == NULL || *user == '\0' || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_error("no such user: %s", user);
		return -1;
	}
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_error("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		log_error("still root after dropping to %s", user);
		return -1;
	}
	return 0;
}

static int
server_parse_length(const char *s, size_t *out)
{
	size_t	 v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
			return -1;
		v = v * 10 + (size_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static const char *
server_param(FCGX_Request *fr, const char *name, const char *dflt)
{
	const char	*v = FCGX_GetParam(name, fr->envp);

	return v != NULL ? v : dflt;
}

static void
server_fill(FCGX_Request *fr, struct request *req, char *pathbuf,
    size_t pathsz)
{
	const char	*uri, *len, *https;
	size_t		 n;

	memset(req, 0, sizeof(*req));
	req->conn = fr;
	req->method = server_param(fr, "REQUEST_METHOD", "GET");
	/* DOCUMENT_URI is nginx's normalised path without the query */
	uri = server_param(fr, "DOCUMENT_URI", NULL);
	if (uri == NULL) {
		uri = server_param(fr, "REQUEST_URI", "/");
		n = strcspn(uri, "?");
	} else
		n = strlen(uri);
	if (n >= pathsz)
		n = pathsz - 1;
	memcpy(pathbuf, uri, n);
	pathbuf[n] = '\0';
	req->path = pathbuf;
	req->query = server_param(fr, "QUERY_STRING", "");
	req->content_type = server_param(fr, "CONTENT_TYPE", "");
	req->accept = server_param(fr, "HTTP_ACCEPT", "");
	req->cookie = server_param(fr, "HTTP_COOKIE", "");
	req->origin = server_param(fr, "HTTP_ORIGIN", NULL);
	req->host = server_param(fr, "HTTP_HOST", "");
	req->fetch_site = server_param(fr, "HTTP_SEC_FETCH_SITE", NULL);
	req->remote_addr = server_param(fr, "REMOTE_ADDR", "");
	https = server_param(fr, "HTTPS", "");
	req->https = https[0] != '\0' && strcmp(https, "off") != 0;
	len = server_param(fr, "CONTENT_LENGTH", NULL);
	if (len != NULL && *len != '\0') {
		req->has_length = 1;
		if (server_parse_length(len, &req->content_length) == -1)
			req->length_bad = 1;
	}
}

/* Write the response; a client gone away is logged, never fatal. */
static void
server_send(FCGX_Request *fr, struct response *resp)
{
	char	 line[64];
	int	 ok;

	snprintf(line, sizeof(line), "Status: %d %s\r\n", resp->status,
	    http_status_text(resp->status));
	ok = FCGX_PutS(line, fr->out) >= 0;
	if (ok && resp->headers.len > 0)
		ok = FCGX_PutStr(resp->headers.data, (int)resp->headers.len,
		    fr->out) >= 0;
	if (ok)
		ok = FCGX_PutS("\r\n", fr->out) >= 0;
	if (ok && resp->body.len > 0)
		ok = FCGX_PutStr(resp->body.data, (int)resp->body.len,
		    fr->out) >= 0;
	if (ok)
		ok = FCGX_FFlush(fr->out) >= 0;
	if (!ok)
		log_warn("response not delivered (status %d): client gone",
		    resp->status);
}

static void
server_child(int fd, const struct server_app *app)
{
	struct sigaction	 sa;
	FCGX_Request		 fr;
	struct request		 req;
	struct response		 resp;
	char			 path[HTTP_MAX_PATH];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_child_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);

	if (app->child_init != NULL && app->child_init(app->arg) == -1)
		_exit(3);
	if (FCGX_InitRequest(&fr, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		_exit(3);
	response_init(&resp);
	while (!server_stop) {
		if (FCGX_Accept_r(&fr) < 0) {
			if (server_stop)
				break;
			continue;
		}
		server_in_request = 1;
		server_fill(&fr, &req, path, sizeof(path));
		response_reset(&resp);
		app->handle(app->arg, &req, &resp);
		if (buf_failed(&resp.headers) || buf_failed(&resp.body)) {
			response_reset(&resp);
			resp.status = 500;
			response_type(&resp, "text/plain; charset=utf-8", 1);
			buf_puts(&resp.body, "Nothing was saved. Please try "
			    "again.\n");
		}
		server_send(&fr, &resp);
		FCGX_Finish_r(&fr);
		response_reset(&resp);
		server_in_request = 0;
	}
	response_free(&resp);
	if (app->child_fini != NULL)
		app->child_fini(app->arg);
	_exit(0);
}

static pid_t
server_spawn(int fd, const struct server_app *app)
{
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		server_child(fd, app);
	return pid;
}

static unsigned
server_default_children(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 && n < SERVER_MAX_CHILDREN / 2 ? (unsigned)n * 2 : 2;
}

int
server_run(const struct server_opts *o, const struct server_app *app)
{
	struct sigaction	 sa;
	pid_t			 kids[SERVER_MAX_CHILDREN];
	time_t			 born[SERVER_MAX_CHILDREN], deadline;
	unsigned		 n, i, alive;
	pid_t			 pid;
	int			 fd, status;

	n = o->children ? o->children : server_default_children();
	if (n > SERVER_MAX_CHILDREN)
		n = SERVER_MAX_CHILDREN;
	if (FCGX_Init() != 0) {
		log_error("libfcgi initialisation failed");
		return 1;
	}
	if ((fd = server_bind(o->socket_path, o->socket_group)) == -1)
		return 1;
	if (server_drop_privileges(o->user) == -1)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_master_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < n; i++) {
		kids[i] = server_spawn(fd, app);
		born[i] = time(NULL);
	}
	log_info("serving on %s with %u children", o->socket_path, n);

	while (!server_stop) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++) {
			if (kids[i] != pid)
				continue;
			if (WIFSIGNALED(status))
				log_warn("child %ld killed by signal %d; "
				    "replacing it", (long)pid, WTERMSIG(status));
			else
				log_warn("child %ld exited with %d; replacing "
				    "it", (long)pid, WEXITSTATUS(status));
			if (server_stop)
				break;
			/* a child that cannot start: do not spin */
			if (time(NULL) - born[i] < 1)
				sleep(1);
			kids[i] = server_spawn(fd, app);
			born[i] = time(NULL);
		}
	}

	log_info("stopping: finishing requests in flight");
	close(fd);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	deadline = time(NULL) + SERVER_GRACE_S;
	do {
		alive = 0;
		for (i = 0; i < n; i++) {
			if (kids[i] <= 0)
				continue;
			if (waitpid(kids[i], &status, WNOHANG) == kids[i])
				kids[i] = 0;
			else
				alive++;
		}
		if (alive > 0)
			usleep(50000);
	} while (alive > 0 && time(NULL) < deadline);
	for (i = 0; i < n; i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], &status, 0);
		}
	unlink(o->socket_path);
	log_info("stopped");
	return 0;
}
