# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Just enough of OpenWrt's shell environment (/etc/rc.common, /lib/functions.sh, network.sh,
# procd.sh) and of procd itself for the init script to run in the lab router: UCI values are
# read from the file, networks map to the lab's devices, and what the script asks procd for is
# written down in $SHIM_DIR/procd for the test to check.
#
# procd is modelled on its source (procd service/service.c, service/instance.c), as far as the
# init script depends on it:
# - rc.common's start sends the whole service ('set'): an instance that is no longer in it is
#   stopped (vlist_flush); a new one is started.
# - instance_update: a running instance whose config is unchanged is left alone; a changed one
#   (command line or any other parameter: instance_config_changed) is restarted, SIGTERM then
#   a new start, unless the running instance has a reload_signal: then it only gets that
#   signal (instance_restart) and keeps running with its old command line.
# - instance_run: user, group, capabilities and no_new_privs are applied only through ujail,
#   when the instance has a jail and ujail exists (jail_run: ujail -U -G -C -c). Without a jail,
#   procd only switches to the user (initgroups, setgid, setuid), which drops every capability.
#   ujail's mount namespace (what is visible in the jail) is not modelled.
# - procd_send_signal and procd_kill signal the running instance; procd_running asks for it.
# Respawn is not modelled.
#
# fw4 itself: the lab router's table inet fw4 is tests/e2e/fw4-input.nft (fw4's input chain and
# zones as the default /etc/config/firewall makes them); shim_fw4_reload does what 'fw4 reload'
# does as far as sipalg is concerned: fw4's table made anew, in one transaction with the
# package's ruleset-post file (fw4-include.nft, its /var/etc/sipalg being $STATEDIR here).
#
# The test sets SHIM_UJAIL to the path procd would look at for ujail,
# SHIM_EXTRA_ARGS for arguments the lab adds when it starts the daemon (--foreground, so that
# its log lands in $SHIM_DIR/daemon.log), and SHIM_NET_<network> for the networks' devices.

# shim_get FILE SECTION OPTION: the value (lists joined by spaces) from a UCI file.
shim_get() {
	awk -v sec="$2" -v opt="$3" '
		function unq(s) { gsub(/^["'\'']|["'\'']$/, "", s); return s }
		$1 == "config" { insec = (unq($3) == sec) }
		insec && ($1 == "option" || $1 == "list") && $2 == opt {
			v = $3; for (i = 4; i <= NF && $i !~ /^#/; i++) v = v " " $i
			out = out (out == "" ? "" : " ") unq(v)
		}
		END { printf "%s", out }' "$1"
}

config_load() { SHIM_UCI=$SHIM_DIR/$1.uci; }
config_get() {
	_cg_v=$(shim_get "$SHIM_UCI" "$2" "$3")
	eval "$1=\${_cg_v:-\$4}"
}
config_get_bool() {
	config_get "$1" "$2" "$3" "$4"
	eval "case \$$1 in 1|on|yes|true|enabled) $1=1 ;; *) $1=0 ;; esac"
}
network_get_device() { eval "$1=\${SHIM_NET_$2:-}"; eval "[ -n \"\$$1\" ]"; }
network_get_physdev() { network_get_device "$@"; }
logger() { echo "logger: $*" >>"$SHIM_DIR/log"; }

# shim_fw4_reload FW4_MODEL INCLUDE STATEDIR (in the router's namespace)
shim_fw4_reload() {
	{
		echo "include \"$1\""
		sed "s|/var/etc/sipalg|$3|g" "$2"
	} | nft -f -
}

# --- procd's state: $SHIM_DIR/procd/{command,params,pid} of the one instance; new.* is the
# service being sent.
SHIM_PROCD=$SHIM_DIR/procd

procd_open_service() {
	mkdir -p "$SHIM_PROCD"
	rm -f "$SHIM_PROCD/new.command" "$SHIM_PROCD/new.params" "$SHIM_PROCD/new.instance"
}
procd_open_instance() { : >"$SHIM_PROCD/new.instance"; : >"$SHIM_PROCD/new.params"; }
procd_close_instance() { :; }
procd_set_param() {
	_sp_key=$1
	shift
	if [ "$_sp_key" = command ]; then
		printf '%s\n' "$@" >"$SHIM_PROCD/new.command"
	else
		echo "$_sp_key $*" >>"$SHIM_PROCD/new.params"
	fi
}
procd_add_jail() { echo "jail $*" >>"$SHIM_PROCD/new.params"; }
procd_add_jail_mount() { for _jm in "$@"; do echo "jail_mount $_jm" >>"$SHIM_PROCD/new.params"; done; }
procd_add_jail_mount_rw() { for _jm in "$@"; do echo "jail_mount_rw $_jm" >>"$SHIM_PROCD/new.params"; done; }
procd_add_reload_trigger() { echo "reload_trigger $*" >>"$SHIM_DIR/triggers"; }
procd_add_interface_trigger() { echo "interface_trigger $*" >>"$SHIM_DIR/triggers"; }

# shim_param NAME [FILE]: the value of a parameter ('' if not set).
shim_param() { sed -n "s/^$1 //p" "${2:-$SHIM_PROCD/params}" | head -n 1; }
shim_running() { [ -s "$SHIM_PROCD/pid" ] && kill -0 "$(cat "$SHIM_PROCD/pid")" 2>/dev/null; }

# shim_caps KEY: the capabilities file's KEY list as setpriv wants it: -all,+net_admin,...
shim_caps() {
	printf -- '-all'
	tr -d ' \n\t' <"$(shim_param capabilities)" | sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" |
		tr ',' '\n' | tr -d '"' | sed -n 's/^CAP_//p' | tr '[:upper:]' '[:lower:]' | sed 's/^/,+/' | tr -d '\n'
}

# instance_run: the command as procd runs it.
shim_run() {
	_sr_user=$(shim_param user)
	# shellcheck disable=SC2046,SC2086 # one argument per line, none with spaces
	set -- $(cat "$SHIM_PROCD/command") ${SHIM_EXTRA_ARGS:-}
	if [ -n "$(shim_param jail)" ] && [ -e "${SHIM_UJAIL:-/sbin/ujail}" ]; then
		# ujail -U user -G group -C capabilities [-c]
		_sr_group=$(shim_param group)
		getent group "$_sr_group" >/dev/null || _sr_group=$(id -gn "$_sr_user")
		[ -n "$(shim_param no_new_privs)" ] && set -- --no-new-privs "$@"
		set -- --reuid="$_sr_user" --regid="$_sr_group" --clear-groups \
			--inh-caps="$(shim_caps inheritable)" --ambient-caps="$(shim_caps ambient)" \
			--bounding-set="$(shim_caps bounding)" "$@"
		setpriv "$@" >>"$SHIM_DIR/daemon.log" 2>&1 &
	elif [ -n "$_sr_user" ]; then
		# no jail: initgroups, setgid, setuid, and nothing else
		setpriv --reuid="$_sr_user" --regid="$(id -g "$_sr_user")" --init-groups \
			"$@" >>"$SHIM_DIR/daemon.log" 2>&1 &
	else
		"$@" >>"$SHIM_DIR/daemon.log" 2>&1 &
	fi
	echo $! >"$SHIM_PROCD/pid"
}

shim_terminate() {
	shim_running || return 0
	_st_pid=$(cat "$SHIM_PROCD/pid")
	kill -TERM "$_st_pid"
	_st_n=0
	while kill -0 "$_st_pid" 2>/dev/null && [ "$_st_n" -lt 50 ]; do
		sleep 0.1
		_st_n=$((_st_n + 1))
	done
	kill -KILL "$_st_pid" 2>/dev/null
	rm -f "$SHIM_PROCD/pid"
}

# procd_close_service: procd's service_update with the instances sent (instance_update).
procd_close_service() {
	: >"$SHIM_DIR/triggers"
	service_triggers
	if [ ! -e "$SHIM_PROCD/new.instance" ]; then
		shim_terminate
		rm -f "$SHIM_PROCD/command" "$SHIM_PROCD/params"
		return 0
	fi
	if ! shim_running; then
		mv "$SHIM_PROCD/new.command" "$SHIM_PROCD/command"
		mv "$SHIM_PROCD/new.params" "$SHIM_PROCD/params"
		shim_run
	elif cmp -s "$SHIM_PROCD/command" "$SHIM_PROCD/new.command" &&
		cmp -s "$SHIM_PROCD/params" "$SHIM_PROCD/new.params"; then
		mv "$SHIM_PROCD/new.command" "$SHIM_PROCD/command"
		mv "$SHIM_PROCD/new.params" "$SHIM_PROCD/params"
	elif [ -n "$(shim_param reload_signal)" ]; then
		# instance_restart with the running instance's reload_signal: a signal, no restart
		kill -s "$(shim_param reload_signal)" "$(cat "$SHIM_PROCD/pid")"
		mv "$SHIM_PROCD/new.command" "$SHIM_PROCD/command"
		mv "$SHIM_PROCD/new.params" "$SHIM_PROCD/params"
	else
		shim_terminate
		mv "$SHIM_PROCD/new.command" "$SHIM_PROCD/command"
		mv "$SHIM_PROCD/new.params" "$SHIM_PROCD/params"
		shim_run
	fi
}

procd_running() { shim_running; }
procd_send_signal() { shim_running && kill -s "${3:-HUP}" "$(cat "$SHIM_PROCD/pid")"; }
procd_kill() { shim_terminate; rm -f "$SHIM_PROCD/command" "$SHIM_PROCD/params"; }

# --- /etc/rc.common with USE_PROCD
start() {
	procd_open_service sipalg
	start_service "$@"
	procd_close_service
}
stop() {
	stop_service "$@"
	procd_kill sipalg
}
restart() {
	stop "$@"
	start "$@"
}
reload() {
	if type reload_service >/dev/null 2>&1; then reload_service "$@"; else start; fi
}
