/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_config.c: /etc/config/sipalg as shipped, fully set, and every bad value refused with
 * an error naming the option and the value. */
#include "harness.h"
#include "config.h"

#include <syslog.h>
#include <unistd.h>

static char *file(const char *path, size_t *len)
{
	char *buf = read_file(path, len);

	if (!buf)
		fail_msg("%s missing (run from the top of the tree)", path);
	return buf;
}

static void shipped_default_is_off_and_sane(void **state)
{
	struct sipalg_config c, d;
	char err[256] = "";
	size_t len;
	char *buf = file("openwrt/sipalg/files/sipalg.config", &len);

	(void)state;
	config_defaults(&c);
	config_defaults(&d);
	d.enabled = 1; /* so the parse must set it */
	assert_int_equal(config_parse(buf, len, &d, err, sizeof(err)), 0);
	assert_false(d.enabled);
	/* the shipped file states exactly the built-in defaults */
	c.enabled = 0;
	assert_memory_equal(&c, &d, sizeof(c));
	free(buf);
}

static void full_config_sets_every_option(void **state)
{
	struct sipalg_config c;
	char err[256] = "";
	size_t len;
	char *buf = file("tests/config/full.config", &len);

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(buf, len, &c, err, sizeof(err)), 0);
	assert_true(c.enabled);
	assert_string_equal(c.wan, "wan6to4");
	assert_string_equal(c.lan, "guest_lan");
	assert_int_equal(c.n_sip_ports, 3);
	assert_int_equal(c.sip_ports[0], 5060);
	assert_int_equal(c.sip_ports[1], 5080);
	assert_int_equal(c.sip_ports[2], 5062);
	assert_int_equal(c.table.media_port_min, 20000);
	assert_int_equal(c.table.media_port_max, 20999);
	assert_int_equal(c.table.inbound_calls, INBOUND_ANYONE);
	assert_int_equal(c.table.media_timeout, 300);
	assert_int_equal(c.external_address, 0xc6336407);
	assert_int_equal(c.stun_server.ip, 0xc6336403);
	assert_int_equal(c.stun_server.port, 19302);
	assert_int_equal(c.keepalive_interval, 0);
	assert_int_equal(c.queue, 3);
	assert_int_equal(c.queues, 4);
	assert_false(c.tcp);
	assert_int_equal(c.tcp_port, 25060);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.core.max_message_size, 4000);
	assert_int_equal(c.core.max_headers, 40);
	assert_int_equal(c.table.max_registrations_per_host, 2);
	assert_int_equal(c.table.max_calls, 10);
	assert_int_equal(c.table.max_pinholes_per_call, 4);
	assert_int_equal(c.table.max_pinholes_per_host, 8);
	assert_int_equal(c.table.max_pinholes, 100);
	assert_int_equal(c.table.max_new_pinholes_per_second, 5);
	assert_int_equal(c.n_lan_servers, 2);
	assert_int_equal(c.lan_servers[0], 0xc0a80102);
	assert_int_equal(c.lan_servers[1], 0xc0a80103);
	assert_false(c.lan_servers_cli);
	assert_false(c.core.direct_lan_media);
	free(buf);
}

/* The shipped file with one line replaced must be refused, naming what is wrong. */
static void expect_refused(const char *from, const char *to, const char *message)
{
	struct sipalg_config c;
	char err[256] = "";
	size_t len;
	char *buf = file("openwrt/sipalg/files/sipalg.config", &len), *at = strstr(buf, from), *edited;

	if (!at)
		fail_msg("'%s' not in the shipped file", from);
	edited = malloc(len + strlen(to) + 1);
	memcpy(edited, buf, (size_t)(at - buf));
	strcpy(edited + (at - buf), to);
	strcat(edited, at + strlen(from));
	config_defaults(&c);
	if (config_parse(edited, strlen(edited), &c, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", to);
	if (!strstr(err, message))
		fail_msg("for \"%s\" the error \"%s\" does not say \"%s\"", to, err, message);
	free(edited);
	free(buf);
}

static void every_bad_value_is_named(void **state)
{
	(void)state;
	expect_refused("option enabled '0'", "option enabled 'yes'", "option enabled 'yes'");
	expect_refused("option wan 'wan'", "option wan 'eth0 eth1'", "option wan 'eth0 eth1'");
	expect_refused("option lan 'lan'", "option lan ''", "option lan ''");
	expect_refused("list sip_port '5060'", "list sip_port '70000'", "option sip_port '70000'");
	expect_refused("list sip_port '5060'", "list sip_port '0'", "option sip_port '0'");
	expect_refused("option media_ports '16384-32767'", "option media_ports '30000-20000'",
		       "option media_ports '30000-20000'");
	expect_refused("option media_ports '16384-32767'", "option media_ports '80-90'",
		       "option media_ports '80-90'");
	expect_refused("option media_ports '16384-32767'", "option media_ports '16384'",
		       "option media_ports '16384'");
	expect_refused("option inbound_calls 'registrar'", "option inbound_calls 'friends'",
		       "option inbound_calls 'friends'");
	expect_refused("option media_timeout '60'", "option media_timeout '-5'", "option media_timeout '-5'");
	expect_refused("option media_timeout '60'", "option media_timeout '1m'", "option media_timeout '1m'");
	expect_refused("option external_address ''", "option external_address '203.0.113'",
		       "option external_address '203.0.113'");
	expect_refused("option stun_server ''", "option stun_server 'stun.example.net'",
		       "option stun_server 'stun.example.net': expected an IPv4 address");
	expect_refused("option stun_server ''", "option stun_server '198.51.100.3:0'",
		       "option stun_server '198.51.100.3:0'");
	expect_refused("option keepalive_interval '25'", "option keepalive_interval '3601'",
		       "option keepalive_interval '3601': expected seconds, 0 (off) to 3600");
	expect_refused("option queue '0'", "option queue '65536'", "option queue '65536'");
	expect_refused("option queues '1'", "option queues '0'", "option queues '0': expected a number of queues 1-16");
	expect_refused("option queues '1'", "option queues '17'", "option queues '17'");
	expect_refused("option queues '1'", "option queues '2'\n\toption queue '65535'",
		       "queue 65535 and queues 2: the last queue, 65536, is past 65535");
	expect_refused("option tcp '1'", "option tcp 'on'", "option tcp 'on'");
	expect_refused("option tcp_port '15060'", "option tcp_port '80'", "option tcp_port '80'");
	expect_refused("option tcp_port '15060'", "option tcp_port '65536'", "option tcp_port '65536'");
	expect_refused("option log_level 'info'", "option log_level 'loud'", "option log_level 'loud'");
	expect_refused("option max_message_size '8192'", "option max_message_size '100'",
		       "option max_message_size '100'");
	expect_refused("option max_headers '64'", "option max_headers '500'", "option max_headers '500'");
	expect_refused("option max_registrations_per_host '16'", "option max_registrations_per_host '0'",
		       "option max_registrations_per_host '0'");
	expect_refused("option max_calls '256'", "option max_calls '300000'", "option max_calls '300000'");
	expect_refused("option max_bindings '4096'", "option max_bindings '10'", "option max_bindings '10'");
	/* a limit the table could never reach */
	expect_refused("option max_pinholes '1024'", "option max_pinholes '5000'",
		       "option max_pinholes '5000': more than max_bindings (4096)");
	expect_refused("option max_pinholes_per_call '16'", "option max_pinholes_per_call 'many'",
		       "option max_pinholes_per_call 'many'");
	expect_refused("option max_pinholes_per_host '64'", "option max_pinholes_per_host '-1'",
		       "option max_pinholes_per_host '-1'");
	expect_refused("option max_pinholes '1024'", "option max_pinholes '9999999'", "option max_pinholes '9999999'");
	expect_refused("option max_new_pinholes_per_second '20'", "option max_new_pinholes_per_second ''",
		       "option max_new_pinholes_per_second ''");
	expect_refused("option queue '0'", "option qeueu '0'", "option qeueu: unknown option");
	expect_refused("option queue '0'", "list queue '0'", "list queue: only sip_port and lan_server take a list");
	expect_refused("#list lan_server '192.168.1.2'", "list lan_server '192.168.1'",
		       "option lan_server '192.168.1': expected the IPv4 address of a SIP server on the LAN");
	expect_refused("#list lan_server '192.168.1.2'", "list lan_server 'pbx.lan'", "option lan_server 'pbx.lan'");
	expect_refused("#list lan_server '192.168.1.2'", "list lan_server '0.0.0.0'", "option lan_server '0.0.0.0'");
	expect_refused("option direct_lan_media '1'", "option direct_lan_media 'yes'",
		       "option direct_lan_media 'yes': expected 0 or 1");
	expect_refused("option queue '0'", "option queue '0", "needs a name and a value");
	expect_refused("option queue '0'", "option queue '0' extra", "unexpected text after the value");
}

static void other_sections_are_left_alone(void **state)
{
	static const char text[] = "config firewall 'x'\n\toption queue 'not-mine'\n"
				   "config sipalg 'main'\n\toption queue '7'\n";
	struct sipalg_config c;
	char err[256] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(text, sizeof(text) - 1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.queue, 7);
}

/* The command line: the file's options with dashes, over the file, each error naming the
 * option and the value as the command line spells them. */
static enum config_action args(struct sipalg_config *c, char *err, size_t cap, ...)
{
	char *argv[32] = { "sipalgd" };
	int argc = 1;
	va_list ap;

	va_start(ap, cap);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	err[0] = '\0';
	return config_args(argc, argv, c, err, cap);
}

static void command_line_overrides_the_file(void **state)
{
	struct sipalg_config c;
	char err[256];

	(void)state;
	assert_int_equal(args(&c, err, sizeof(err), "--wan", "eth1", "--queue", "9", "--lan", "br-lan",
			      "--config", "tests/config/full.config", "--public", "192.0.2.1",
			      "--media-timeout", "0", "--log-level", "err", "--foreground", NULL),
			 CONFIG_RUN);
	assert_string_equal(c.cmd.wan, "eth1");
	assert_string_equal(c.cmd.lan, "br-lan");
	assert_string_equal(c.wan, "wan6to4"); /* the file's network, apart from the device */
	assert_int_equal(c.queue, 9);
	assert_int_equal(c.external_address, 0xc0000201);
	assert_int_equal(c.table.media_timeout, 0);
	assert_int_equal(c.log_level, LOG_ERR);
	assert_true(c.cmd.foreground);
	assert_int_equal(c.table.max_calls, 10); /* the file's */
	assert_string_equal(c.cmd.user, "nobody");
	assert_int_equal(args(&c, err, sizeof(err), "--wan", "eth1", "--lan", "br-lan", "--stun-server",
			      "198.51.100.3", "--keepalive", "15", NULL),
			 CONFIG_RUN);
	assert_int_equal(c.stun_server.ip, 0xc6336403);
	assert_int_equal(c.stun_server.port, 3478); /* STUN's own port when none is given */
	assert_int_equal(c.keepalive_interval, 15);

	assert_int_equal(args(&c, err, sizeof(err), "--config", "tests/config/full.config", "--firewall-args", NULL),
			 CONFIG_FIREWALL_ARGS);
	assert_int_equal(c.queue, 3);
	assert_int_equal(args(&c, err, sizeof(err), "--wan", "a", "--help", NULL), CONFIG_HELP);
}

static void expect_bad_args(const char *message, ...)
{
	struct sipalg_config c;
	char *argv[32] = { "sipalgd" }, err[256] = "";
	int argc = 1;
	va_list ap;

	va_start(ap, message);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	if (config_args(argc, argv, &c, err, sizeof(err)) != CONFIG_BAD)
		fail_msg("accepted: %s", message);
	if (strcmp(err, message))
		fail_msg("the error \"%s\" is not \"%s\"", err, message);
}

static void every_bad_argument_is_named(void **state)
{
	(void)state;
	expect_bad_args("--queue '70000': expected a queue number 0-65535", "--wan", "x", "--lan", "y", "--queue",
			"70000", NULL);
	expect_bad_args("--queues 'all': expected a number of queues 1-16", "--wan", "x", "--lan", "y", "--queues",
			"all", NULL);
	expect_bad_args("queue 65530 and queues 8: the last queue, 65537, is past 65535", "--wan", "x", "--lan", "y",
			"--queue", "65530", "--queues", "8", NULL);
	expect_bad_args("--media-timeout '1m': expected seconds, 0 (never) to 86400", "--wan", "x", "--lan", "y",
			"--media-timeout", "1m", NULL);
	expect_bad_args("--public '203.0.113': expected an IPv4 address", "--public", "203.0.113", NULL);
	expect_bad_args("--stun-server '198.51.100.3:99999': expected an IPv4 address and an optional port, "
			"such as 198.51.100.3:3478", "--stun-server", "198.51.100.3:99999", NULL);
	expect_bad_args("--log-level 'loud': expected err, warning, notice, info or debug", "--log-level", "loud",
			NULL);
	expect_bad_args("--wan '': is required", "--lan", "y", NULL);
	expect_bad_args("--lan '': is required", "--wan", "x", NULL);
	expect_bad_args("--wan 'a-name-longer-than-ifnamsiz': not an interface name", "--lan", "y", "--wan",
			"a-name-longer-than-ifnamsiz", NULL);
	expect_bad_args("--lan-server '192.168.1.300': expected the IPv4 address of a SIP server on the LAN",
			"--wan", "x", "--lan", "y", "--lan-server", "192.168.1.300", NULL);
	expect_bad_args("argument 'extra': unexpected", "--wan", "x", "--lan", "y", "extra", NULL);
	expect_bad_args("--config 'tests/config/missing': No such file or directory", "--wan", "x", "--lan", "y",
			"--config", "tests/config/missing", NULL);
}

/* A bad file is reported first, naming the file, the option and the value. */
static void a_bad_file_is_named_first(void **state)
{
	static const char text[] = "config sipalg 'main'\n\toption max_calls 'many'\n";
	char path[] = "/tmp/test_config.XXXXXX", message[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	snprintf(message, sizeof(message), "%s: option max_calls 'many': expected a number 1-262144", path);
	expect_bad_args(message, "--queue", "x", "--config", path, NULL);
	unlink(path);
}

/* The daemon names the limits after their options; the core's other reasons are its own. */
static void limits_are_named_by_their_options(void **state)
{
	(void)state;
	assert_string_equal(config_reason_str(ALG_LIMIT_REGISTRATIONS), "limit max_registrations_per_host");
	assert_string_equal(config_reason_str(ALG_LIMIT_DIALOGS), "limit max_calls");
	assert_string_equal(config_reason_str(ALG_LIMIT_CALL_PINHOLES), "limit max_pinholes_per_call");
	assert_string_equal(config_reason_str(ALG_LIMIT_HOST_PINHOLES), "limit max_pinholes_per_host");
	assert_string_equal(config_reason_str(ALG_LIMIT_PINHOLES), "limit max_pinholes");
	assert_string_equal(config_reason_str(ALG_LIMIT_PINHOLE_RATE), "limit max_new_pinholes_per_second");
	assert_string_equal(config_reason_str(ALG_TOO_LARGE), "message larger than max_message_size");
	assert_string_equal(config_reason_str(ALG_TOO_MANY_HEADERS), alg_reason_str(ALG_TOO_MANY_HEADERS));
	assert_string_equal(config_reason_str(ALG_BAD_SDP), "malformed SDP");
}

/* SIGHUP: the file again, without the command line; the queue waits for a restart. */
static void reload_takes_what_changes_in_place(void **state)
{
	struct sipalg_config c;
	char err[256];

	(void)state;
	assert_int_equal(args(&c, err, sizeof(err), "--wan", "eth1", "--lan", "br-lan", "--config",
			      "openwrt/sipalg/files/sipalg.config", "--queue", "0", NULL),
			 CONFIG_RUN);
	c.cmd.config = "tests/config/full.config";
	assert_int_equal(config_reload(&c, err, sizeof(err)), 1);
	assert_string_equal(err, "option queue changed; it takes effect at the next restart");
	assert_int_equal(c.queue, 0);
	assert_int_equal(c.table.max_calls, 10);
	assert_int_equal(c.table.media_port_min, 20000);
	assert_int_equal(c.table.media_port_max, 20999);
	assert_int_equal(c.core.max_message_size, 4000);
	assert_int_equal(c.external_address, 0xc6336407);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_string_equal(c.cmd.wan, "eth1");
	assert_string_equal(c.wan, "wan"); /* not the daemon's: the init script reads it */
	assert_int_equal(c.table.signaling_idle, 3600);

	c.cmd.config = "tests/config/missing";
	c.table.max_calls = 77;
	assert_int_equal(config_reload(&c, err, sizeof(err)), -1);
	assert_int_equal(c.table.max_calls, 77);
}

/* --lan-server replaces the file's list, repeated it adds; each server must be inside the LAN
 * networks, checked once they are known, naming the option as its source calls it. */
static void lan_servers_from_both_sources(void **state)
{
	static const struct alg_net lan[] = { { 0xc0a80100, 0xffffff00 } };
	struct sipalg_config c;
	char err[256];

	(void)state;
	assert_int_equal(args(&c, err, sizeof(err), "--wan", "x", "--lan", "y", "--config", "tests/config/full.config",
			      NULL),
			 CONFIG_RUN);
	assert_int_equal(c.n_lan_servers, 2);
	assert_int_equal(config_check_lan(&c, lan, 1, "br-lan", err, sizeof(err)), 0);
	assert_int_equal(args(&c, err, sizeof(err), "--wan", "x", "--lan", "y", "--config", "tests/config/full.config",
			      "--lan-server", "192.168.1.7", "--lan-server", "10.0.0.2", NULL),
			 CONFIG_RUN);
	assert_int_equal(c.n_lan_servers, 2);
	assert_int_equal(c.lan_servers[0], 0xc0a80107);
	assert_int_equal(config_check_lan(&c, lan, 1, "br-lan", err, sizeof(err)), -1);
	assert_string_equal(err, "--lan-server '10.0.0.2': not inside the LAN networks of br-lan (192.168.1.0/24)");
	c.lan_servers_cli = 0;
	assert_int_equal(config_check_lan(&c, lan, 1, "br-lan", err, sizeof(err)), -1);
	assert_string_equal(err, "option lan_server '10.0.0.2': not inside the LAN networks of br-lan (192.168.1.0/24)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_default_is_off_and_sane),
		cmocka_unit_test(full_config_sets_every_option),
		cmocka_unit_test(every_bad_value_is_named),
		cmocka_unit_test(other_sections_are_left_alone),
		cmocka_unit_test(command_line_overrides_the_file),
		cmocka_unit_test(every_bad_argument_is_named),
		cmocka_unit_test(a_bad_file_is_named_first),
		cmocka_unit_test(limits_are_named_by_their_options),
		cmocka_unit_test(reload_takes_what_changes_in_place),
		cmocka_unit_test(lan_servers_from_both_sources),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
