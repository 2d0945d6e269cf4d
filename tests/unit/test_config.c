/* test_config.c: /etc/config/sipalg as shipped, fully set, and every bad value refused with
 * an error naming the option and the value. */
#include "harness.h"
#include "config.h"

#include <syslog.h>

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
	assert_int_equal(c.media_port_min, 20000);
	assert_int_equal(c.media_port_max, 20999);
	assert_int_equal(c.inbound, INBOUND_ANYONE);
	assert_int_equal(c.media_timeout, 300);
	assert_int_equal(c.external_address, 0xc6336407);
	assert_int_equal(c.queue, 3);
	assert_false(c.tcp);
	assert_int_equal(c.tcp_port, 25060);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.limits.max_message_size, 4000);
	assert_int_equal(c.limits.max_headers, 40);
	assert_int_equal(c.limits.max_registrations_per_host, 2);
	assert_int_equal(c.limits.max_calls, 10);
	assert_int_equal(c.limits.max_pinholes_per_call, 4);
	assert_int_equal(c.limits.max_pinholes_per_host, 8);
	assert_int_equal(c.limits.max_pinholes, 100);
	assert_int_equal(c.limits.max_new_pinholes_per_second, 5);
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
	expect_refused("option queue '0'", "option queue '65536'", "option queue '65536'");
	expect_refused("option tcp '1'", "option tcp 'on'", "option tcp 'on'");
	expect_refused("option tcp_port '15060'", "option tcp_port '80'", "option tcp_port '80'");
	expect_refused("option tcp_port '15060'", "option tcp_port '65536'", "option tcp_port '65536'");
	expect_refused("option log_level 'info'", "option log_level 'loud'", "option log_level 'loud'");
	expect_refused("option max_message_size '8192'", "option max_message_size '100'",
		       "option max_message_size '100'");
	expect_refused("option max_headers '64'", "option max_headers '500'", "option max_headers '500'");
	expect_refused("option max_registrations_per_host '16'", "option max_registrations_per_host '0'",
		       "option max_registrations_per_host '0'");
	expect_refused("option max_calls '256'", "option max_calls '5000'", "option max_calls '5000'");
	expect_refused("option max_pinholes_per_call '16'", "option max_pinholes_per_call 'many'",
		       "option max_pinholes_per_call 'many'");
	expect_refused("option max_pinholes_per_host '64'", "option max_pinholes_per_host '-1'",
		       "option max_pinholes_per_host '-1'");
	expect_refused("option max_pinholes '1024'", "option max_pinholes '99999'", "option max_pinholes '99999'");
	expect_refused("option max_new_pinholes_per_second '20'", "option max_new_pinholes_per_second ''",
		       "option max_new_pinholes_per_second ''");
	expect_refused("option queue '0'", "option qeueu '0'", "option qeueu: unknown option");
	expect_refused("option queue '0'", "list queue '0'", "list queue: only sip_port takes a list");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_default_is_off_and_sane),
		cmocka_unit_test(full_config_sets_every_option),
		cmocka_unit_test(every_bad_value_is_named),
		cmocka_unit_test(other_sections_are_left_alone),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
