# shellcheck shell=sh
# Just enough of OpenWrt's shell environment (/lib/functions.sh, network.sh, procd.sh) for the
# init script's start and stop to run in the lab router: UCI values are read from the file,
# networks map to the lab's devices, and what the script asks procd for is written down in
# $SHIM_DIR for the test to check and to run.

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
procd_open_instance() { : >"$SHIM_DIR/params"; }
procd_close_instance() { :; }
procd_set_param() {
	_sp_key=$1
	shift
	if [ "$_sp_key" = command ]; then
		printf '%s\n' "$@" >"$SHIM_DIR/command"
	else
		echo "$_sp_key $*" >>"$SHIM_DIR/params"
	fi
}
procd_add_reload_trigger() { echo "reload_trigger $*" >>"$SHIM_DIR/triggers"; }
procd_add_interface_trigger() { echo "interface_trigger $*" >>"$SHIM_DIR/triggers"; }
