#!/usr/bin/env bash
# Installs one role of an Overcast cloud on a Debian 12 host, or upgrades it in place: re-running
# it with the same options installs the new code, keeps the passwords and every setting it does
# not manage, and restarts what changed. See docs/operator-guide.md.
#
#   deploy/install.sh controller --public-ip 192.0.2.10
#   deploy/install.sh compute    --controller 192.0.2.10
#   deploy/install.sh storage    --controller 192.0.2.10 --backend file:/srv/volumes
#
# With --root DIR it writes every file under DIR instead of / and only prints what it would run
# to install packages, change PostgreSQL and RabbitMQ, migrate, bootstrap and start services.
set -euo pipefail
umask 022

readonly INSTALL_DIR=/opt/overcast
readonly CONFIG_DIR=/etc/overcast
readonly SECRETS_DIR=/etc/overcast/secrets
readonly STATE_DIR=/var/lib/overcast
readonly UNIT_DIR=/etc/systemd/system
readonly INSTANCES_DIR=/var/lib/libvirt/images/overcast
readonly NODE_MINIMUM=20.19.0
readonly NODESOURCE_MAJOR=20
readonly VHOST=overcast
readonly SERVICES=(identity compute image network block-storage)
declare -rA PORTS=([identity]=5000 [compute]=8774 [image]=9292 [network]=9696 [block-storage]=8776)
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly SOURCE_DIR

usage() {
  cat <<EOF
usage: $0 ROLE [options]

roles and their options:
  controller --public-ip IP        the address clients reach the APIs at (the catalog's URLs)
             [--internal-ip IP]    the address compute and storage nodes reach it at (default: the public one)
             [--bind-host ADDR]    the address the APIs listen on (default 0.0.0.0)
  compute    --controller IP       the controller's internal address
             [--my-ip IP]          this host's address for VXLAN tunnels and volume connections
                                   (default: the source address of the route to the controller)
             [--network-driver linuxbridge|ovs]                 (default linuxbridge)
             [--tunnel-interface IF]   linuxbridge: the interface holding --my-ip (default: found)
             [--physical-interface PHYSNET:IF]...   flat/VLAN provider networks
             [--transport-password-file FILE|-]
  storage    --controller IP
             --backend [NAME=]file:/DIR | [NAME=]nfs:SERVER:/EXPORT | [NAME=]glusterfs:SERVER:/VOLUME
                       | [NAME=]rbd:POOL[:CEPH_USER]  (repeatable; every run lists all of them)
             [--transport-password-file FILE|-]

--transport-password-file: the RabbitMQ password of the nodes (FILE, or - for standard input),
  which the controller keeps in $SECRETS_DIR/transport-node; needed on a node's first run only:
    ssh root@CONTROLLER cat $SECRETS_DIR/transport-node | $0 compute --controller CONTROLLER --transport-password-file -

--root DIR: write every file under DIR (a test or an image build) and print, without running them,
  the commands that would install packages, change PostgreSQL and RabbitMQ, migrate, bootstrap
  and start the services.
EOF
}

die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- options

[[ $# -gt 0 ]] || {
  usage >&2
  exit 2
}
case $1 in
  -h | --help)
    usage
    exit 0
    ;;
  controller | compute | storage) ROLE=$1 ;;
  *) die "unknown role '$1': choose controller, compute or storage (--help for the options)" ;;
esac
shift

ROOT=''
PUBLIC_IP=''
INTERNAL_IP=''
BIND_HOST=0.0.0.0
CONTROLLER=''
MY_IP=''
NETWORK_DRIVER=linuxbridge
TUNNEL_INTERFACE=''
PHYSICAL_INTERFACES=()
BACKEND_SPECS=()
TRANSPORT_PASSWORD_FILE=''

allowed() { # option roles...
  local option=$1 role
  shift
  for role; do [[ $role == "$ROLE" ]] && return 0; done
  die "$option is not an option of the $ROLE role (--help)"
}
while [[ $# -gt 0 ]]; do
  option=$1
  [[ $option == -h || $option == --help ]] && {
    usage
    exit 0
  }
  [[ $# -ge 2 ]] || die "$option needs a value"
  value=$2
  shift 2
  case $option in
    --root) ROOT=$value ;;
    --public-ip) allowed "$option" controller && PUBLIC_IP=$value ;;
    --internal-ip) allowed "$option" controller && INTERNAL_IP=$value ;;
    --bind-host) allowed "$option" controller && BIND_HOST=$value ;;
    --controller) allowed "$option" compute storage && CONTROLLER=$value ;;
    --my-ip) allowed "$option" compute && MY_IP=$value ;;
    --network-driver) allowed "$option" compute && NETWORK_DRIVER=$value ;;
    --tunnel-interface) allowed "$option" compute && TUNNEL_INTERFACE=$value ;;
    --physical-interface) allowed "$option" compute && PHYSICAL_INTERFACES+=("$value") ;;
    --backend) allowed "$option" storage && BACKEND_SPECS+=("$value") ;;
    --transport-password-file) allowed "$option" compute storage && TRANSPORT_PASSWORD_FILE=$value ;;
    *) die "unknown option $option (--help)" ;;
  esac
done

# Addresses and names end up in URLs, YAML and unit files: only plain ones are taken.
is_address() { [[ $1 =~ ^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$ ]]; }
is_name() { [[ $1 =~ ^[a-z][a-z0-9_-]{0,30}$ ]]; }
is_path() { [[ $1 =~ ^/[A-Za-z0-9._/-]*$ && $1 != *..* ]]; }
is_share() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9.-]*:/[A-Za-z0-9._/-]*$ && $1 != *..* ]]; }
is_interface() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$ ]]; }

case $ROLE in
  controller)
    [[ -n $PUBLIC_IP ]] || die 'controller needs --public-ip IP'
    INTERNAL_IP=${INTERNAL_IP:-$PUBLIC_IP}
    for value in "$PUBLIC_IP" "$INTERNAL_IP" "$BIND_HOST"; do is_address "$value" || die "not an address: $value"; done
    ;;
  compute | storage)
    [[ -n $CONTROLLER ]] || die "$ROLE needs --controller IP (the controller's internal address)"
    is_address "$CONTROLLER" || die "not an address: $CONTROLLER"
    ;;
esac
if [[ $ROLE == compute ]]; then
  [[ $NETWORK_DRIVER == linuxbridge || $NETWORK_DRIVER == ovs ]] || die "--network-driver must be linuxbridge or ovs, not $NETWORK_DRIVER"
  [[ -z $MY_IP ]] || is_address "$MY_IP" || die "not an address: $MY_IP"
  [[ -z $TUNNEL_INTERFACE ]] || is_interface "$TUNNEL_INTERFACE" || die "not an interface name: $TUNNEL_INTERFACE"
  for mapping in "${PHYSICAL_INTERFACES[@]}"; do
    if ! [[ $mapping =~ ^([A-Za-z0-9_-]+):([A-Za-z0-9._-]+)$ ]] || ! is_interface "${BASH_REMATCH[2]}"; then
      die "--physical-interface takes PHYSNET:INTERFACE, not $mapping"
    fi
  done
fi
if [[ $ROLE == storage && ${#BACKEND_SPECS[@]} -eq 0 ]]; then
  die 'storage needs at least one --backend (file:/DIR, nfs:SERVER:/EXPORT, glusterfs:SERVER:/VOLUME or rbd:POOL[:USER]); every run lists all of them'
fi

[[ $EUID -eq 0 ]] || die 'run it as root (it creates a system user and root-owned files, with --root too)'
if [[ -n $ROOT ]]; then
  [[ $ROOT == /* ]] || ROOT=$PWD/$ROOT
  ROOT=${ROOT%/}
  [[ -n $ROOT ]] || die '--root / is this machine: leave --root out to install here'
  mkdir -p "$ROOT"
fi
# A node gets the RabbitMQ password once; say so before changing anything.
if [[ $ROLE != controller && -z $TRANSPORT_PASSWORD_FILE && ! -s $ROOT$SECRETS_DIR/transport-node ]]; then
  die "this node needs the nodes' RabbitMQ password, which the controller keeps in $SECRETS_DIR/transport-node. Run:
  ssh root@$CONTROLLER cat $SECRETS_DIR/transport-node | $0 $ROLE --controller $CONTROLLER ... --transport-password-file -"
fi
readonly ROLE ROOT PUBLIC_IP INTERNAL_IP BIND_HOST CONTROLLER NETWORK_DRIVER TRANSPORT_PASSWORD_FILE

# ---------------------------------------------------------------- output

CHANGES=()
say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
did() {
  printf '  + %s\n' "$*"
  CHANGES+=("$*")
}
kept() { printf '  = %s\n' "$*"; }
note() { printf '  ! %s\n' "$*"; }
# Runs a command that changes this machine outside the files (packages, services, databases);
# with --root, says it instead. Never given a secret: those go through stdin or the environment.
host() {
  if [[ -n $ROOT ]]; then
    printf '  - not run (--root): %s\n' "$*"
    return 0
  fi
  printf '  $ %s\n' "$*"
  "$@"
}

# ---------------------------------------------------------------- files

uid_of() {
  if [[ $1 == root ]]; then
    echo 0
  elif [[ -n $ROOT ]]; then
    awk -F: -v name="$1" '$1 == name { print $3; found = 1 } END { exit !found }' "$ROOT/etc/passwd"
  else
    id -u "$1"
  fi
}
gid_of() {
  if [[ $1 == root ]]; then
    echo 0
  elif [[ -n $ROOT ]]; then
    awk -F: -v name="$1" '$1 == name { print $3; found = 1 } END { exit !found }' "$ROOT/etc/group"
  else
    getent group "$1" | cut -d: -f3
  fi
}

# Gives PATH (under ROOT) the mode and owner it must have; says so when it had others.
set_attributes() { # path mode owner group
  local target=$ROOT$1 want have
  want="$(printf '%o' "$((8#$2))") $(uid_of "$3") $(gid_of "$4")"
  have=$(stat -c '%a %u %g' "$target")
  if [[ $have != "$want" ]]; then
    chown "$(uid_of "$3"):$(gid_of "$4")" "$target"
    chmod "$2" "$target"
    CHANGED=1
  fi
}

# Makes a directory (its missing parents root's, 0755) with this mode and owner.
put_dir() { # path mode owner group
  CHANGED=0
  if [[ ! -d $ROOT$1 ]]; then
    mkdir -p "$ROOT$1"
    set_attributes "$@"
    did "made $1 ($2 $3:$4)"
    return
  fi
  set_attributes "$@"
  if [[ $CHANGED -eq 1 ]]; then did "set $1 to $2 $3:$4"; fi
}

# Writes standard input to a file with this mode and owner, through a temporary file renamed
# into place. A file that already holds it is left alone (its times, and its directory's, too).
# CHANGED says whether anything changed.
put_file() { # path mode owner group
  local target=$ROOT$1 content existing temporary
  CHANGED=0
  content=$(
    cat
    printf .
  )
  content=${content%.}
  if [[ -f $target ]]; then
    existing=$(
      cat "$target"
      printf .
    )
    if [[ ${existing%.} == "$content" ]]; then
      set_attributes "$@"
      if [[ $CHANGED -eq 1 ]]; then did "set $1 to $2 $3:$4"; else kept "$1"; fi
      return
    fi
  fi
  mkdir -p "$(dirname "$target")"
  temporary=$(mktemp "$(dirname "$target")/.install.XXXXXX")
  printf '%s' "$content" >"$temporary"
  chown "$(uid_of "$3"):$(gid_of "$4")" "$temporary"
  chmod "$2" "$temporary"
  if [[ -f $target ]]; then did "updated $1"; else did "wrote $1 ($2 $3:$4)"; fi
  mv -f "$temporary" "$target"
  CHANGED=1
}

# ---------------------------------------------------------------- secrets

# A password made once and kept in $SECRETS_DIR/NAME (root only); never printed.
ensure_secret() { # name [value to store]
  local file=$SECRETS_DIR/$1 value=${2:-}
  CHANGED=0
  if [[ -z $value && -s $ROOT$file ]]; then
    set_attributes "$file" 0600 root root
    if [[ $CHANGED -eq 1 ]]; then did "set $file to 0600 root:root"; fi
    return
  fi
  # 192 random bits, in hex: safe in URLs and YAML as they are.
  [[ -n $value ]] || value=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  put_file "$file" 0600 root root <<<"$value"
}
secret() { head -n 1 "$ROOT$SECRETS_DIR/$1"; }

# ---------------------------------------------------------------- YAML settings

# The config files are YAML; this edits them with the yaml library the code itself uses, so
# that a setting install.sh manages is set again on every run and anything else the operator
# wrote (settings, comments) stays.
#   merge FILE: prints FILE with OVERCAST_SET's lines applied (`a.b=text`, `a.b:=JSON`,
#     `a.b!` removes), then OVERCAST_INITIAL's where the file has no such setting yet;
#     OVERCAST_HEADER becomes the comment of a new file.
#   union FILE...: prints one document holding every section of the files (the first file's
#     top-level settings win), for `overcast bootstrap`, which reads every service's settings.
# shellcheck disable=SC2016 # JavaScript, whose template strings are not the shell's.
readonly YAML_TOOL='
const { existsSync, readFileSync } = require("node:fs");
const YAML = require(process.env.OVERCAST_YAML_MODULE);
const read = (file) => {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const doc = text.trim() === "" ? new YAML.Document({}) : YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    console.error(`${file}: ${doc.errors[0].message}`);
    process.exit(1);
  }
  return { doc, fresh: text.trim() === "" };
};
const edits = (text) =>
  (text ?? "").split("\n").filter((line) => line !== "").map((line) => {
    const match = /^([^=:!]+)(:=|=|!)(.*)$/.exec(line);
    if (match === null) throw new Error(`bad edit: ${line.replace(/=.*/, "=…")}`);
    return { path: match[1].split("."), kind: match[2], value: match[2] === ":=" ? JSON.parse(match[3]) : match[3] };
  });
const [mode, ...files] = process.argv.slice(1);
if (mode === "merge") {
  const { doc, fresh } = read(files[0]);
  if (fresh && process.env.OVERCAST_HEADER) doc.commentBefore = process.env.OVERCAST_HEADER;
  for (const edit of edits(process.env.OVERCAST_SET)) {
    if (edit.kind === "!") doc.deleteIn(edit.path);
    else doc.setIn(edit.path, edit.value);
  }
  for (const edit of edits(process.env.OVERCAST_INITIAL)) {
    if (!doc.hasIn(edit.path)) doc.setIn(edit.path, edit.value);
  }
  process.stdout.write(doc.toString({ lineWidth: 0 }));
} else if (mode === "union") {
  const union = {};
  for (const file of files) {
    for (const [key, value] of Object.entries(read(file).doc.toJS() ?? {})) {
      if (!(key in union)) union[key] = value;
    }
  }
  process.stdout.write(YAML.stringify(union));
} else {
  throw new Error(`unknown mode ${mode}`);
}
'
yaml_tool() {
  local module
  for module in "$ROOT$INSTALL_DIR/node_modules/yaml" "$SOURCE_DIR/node_modules/yaml"; do
    if [[ -f $module/package.json ]]; then
      OVERCAST_YAML_MODULE=$module node -e "$YAML_TOOL" "$@"
      return
    fi
  done
  die "the yaml module is missing: neither $ROOT$INSTALL_DIR nor $SOURCE_DIR has node_modules (npm install)"
}

# Writes $CONFIG_DIR/UNIT.yaml (0640 root:overcast): SET is managed, INITIAL only written once.
write_config() { # unit set initial
  local file=$CONFIG_DIR/$1.yaml header text
  header=" Overcast $1 settings: docs/configuration.md lists them all.
 deploy/install.sh sets these again on every run: $(printf '%s' "$2" | sed -n 's/^\([^=:!]*\).*/\1/p' | paste -sd, - | sed 's/,/, /g').
 Anything else you write here stays. Then: systemctl restart overcast-$1"
  text=$(OVERCAST_SET=$2 OVERCAST_INITIAL=$3 OVERCAST_HEADER=$header yaml_tool merge "$ROOT$file")
  put_file "$file" 0640 root overcast <<<"$text"
  [[ $CHANGED -eq 0 ]] || RESTART["overcast-$1"]=1
}

url_host() { if [[ $1 == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi; }

# ---------------------------------------------------------------- packages

PACKAGES=(ca-certificates curl rsync iproute2 procps)
case $ROLE in
  controller)
    # openssl: the compute API makes x509 keypairs with it; the openstack CLI, to check the cloud.
    PACKAGES+=(postgresql rabbitmq-server openssl python3-openstackclient)
    ;;
  compute)
    # The libvirt driver (libvirtd, QEMU, qemu-img, the config drive's ISO maker; qemu-block-extra
    # opens NFS and RBD volumes), and the network agent's tools (iproute2's ip and bridge, not
    # bridge-utils; dnsmasq for DHCP, radvd for IPv6 routers, iptables/ipset/conntrack).
    PACKAGES+=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils qemu-block-extra genisoimage
      dnsmasq-base radvd iptables ipset conntrack ethtool)
    [[ $NETWORK_DRIVER != ovs ]] || PACKAGES+=(openvswitch-switch)
    ;;
  storage)
    PACKAGES+=(qemu-utils)
    ;;
esac

# ---------------------------------------------------------------- storage backends

BACKENDS_JSON=()
BACKEND_DIRECTORIES=()
declare -A BACKEND_MOUNTS=() # mount point -> "type what"
parse_backends() {
  local spec name kind rest names=" " directory
  for spec in "${BACKEND_SPECS[@]}"; do
    name=''
    if [[ $spec =~ ^([^=:]+)=(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      spec=${BASH_REMATCH[2]}
    fi
    kind=${spec%%:*}
    rest=${spec#*:}
    [[ $spec == *:* ]] || die "--backend $spec: say which kind (file:, nfs:, glusterfs: or rbd:)"
    if [[ -z $name ]]; then
      name=$kind
      local n=2
      while [[ $names == *" $name "* ]]; do name=$kind$((n++)); done
    fi
    is_name "$name" || die "--backend: the name $name must be lower case letters, digits, - or _"
    [[ $names != *" $name "* ]] || die "--backend: two backends are named $name"
    names+="$name "
    case $kind in
      file)
        is_path "$rest" || die "--backend file:DIR takes an absolute directory, not $rest"
        BACKEND_DIRECTORIES+=("$rest")
        BACKENDS_JSON+=("{\"name\":\"$name\",\"driver\":\"file\",\"directory\":\"$rest\"}")
        ;;
      nfs | glusterfs)
        is_share "$rest" || die "--backend $kind:SERVER:/PATH, not $kind:$rest"
        directory=$STATE_DIR/mnt/$name
        BACKEND_DIRECTORIES+=("$directory")
        BACKEND_MOUNTS[$directory]="$kind $rest"
        if [[ $kind == nfs ]]; then
          PACKAGES+=(nfs-common)
          BACKENDS_JSON+=("{\"name\":\"$name\",\"driver\":\"file\",\"directory\":\"$directory\",\"storageProtocol\":\"nfs\",\"nfsShare\":\"$rest\"}")
        else
          PACKAGES+=(glusterfs-client)
          BACKENDS_JSON+=("{\"name\":\"$name\",\"driver\":\"file\",\"directory\":\"$directory\",\"storageProtocol\":\"glusterfs\"}")
        fi
        ;;
      rbd)
        [[ $rest =~ ^([A-Za-z0-9._-]+)(:([A-Za-z0-9._-]+))?$ ]] || die "--backend rbd:POOL[:CEPH_USER], not rbd:$rest"
        PACKAGES+=(ceph-common qemu-block-extra)
        BACKENDS_JSON+=("{\"name\":\"$name\",\"driver\":\"rbd\",\"pool\":\"${BASH_REMATCH[1]}\"${BASH_REMATCH[3]:+,\"user\":\"${BASH_REMATCH[3]}\"}}")
        ;;
      *) die "--backend: unknown kind $kind (file, nfs, glusterfs or rbd)" ;;
    esac
  done
}
[[ $ROLE != storage ]] || parse_backends

# ---------------------------------------------------------------- steps

install_packages() {
  step "packages"
  local package missing=()
  mapfile -t PACKAGES < <(printf '%s\n' "${PACKAGES[@]}" | awk '!seen[$0]++')
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [[ -n $ROOT ]]; then
    host apt-get install -y "${PACKAGES[@]}"
  elif [[ ${#missing[@]} -eq 0 ]]; then
    kept "installed: ${PACKAGES[*]}"
  else
    host apt-get update -qq
    DEBIAN_FRONTEND=noninteractive host apt-get install -y -qq -o DPkg::Lock::Timeout=900 "${missing[@]}"
    did "installed ${missing[*]}"
  fi
}

node_is_recent() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    [[ $(printf '%s\n%s\n' "$NODE_MINIMUM" "$(node -p process.versions.node)" | sort -V | head -n 1) == "$NODE_MINIMUM" ]]
}

# Node.js ≥ 20.19 (package.json's engines). Debian 12 has 18, so when no recent enough Node is
# installed (from any source), NodeSource's apt repository for Node 20 is added.
ensure_node() {
  step "Node.js ≥ $NODE_MINIMUM"
  if node_is_recent; then
    kept "node $(node -v), npm $(npm -v)"
    return
  fi
  if [[ -n $ROOT ]]; then
    host "add NodeSource's apt repository (https://deb.nodesource.com/node_$NODESOURCE_MAJOR.x nodistro main, key in /etc/apt/keyrings/nodesource.gpg) and apt-get install nodejs"
    return
  fi
  DEBIAN_FRONTEND=noninteractive host apt-get install -y -qq -o DPkg::Lock::Timeout=900 ca-certificates curl gnupg
  install -d -m 0755 /etc/apt/keyrings
  say "  \$ curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor -o /etc/apt/keyrings/nodesource.gpg"
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  put_file /etc/apt/sources.list.d/nodesource.list 0644 root root \
    <<<"deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$NODESOURCE_MAJOR.x nodistro main"
  host apt-get update -qq
  DEBIAN_FRONTEND=noninteractive host apt-get install -y -qq -o DPkg::Lock::Timeout=900 nodejs
  node_is_recent || die "nodejs from NodeSource is not ≥ $NODE_MINIMUM: $(node -v 2>&1)"
  did "installed Node.js $(node -v) from NodeSource"
}

ensure_user() {
  step "system user overcast"
  if [[ -n $ROOT ]]; then
    # The tree under --root gets its own user database, so files get the ids they would have.
    mkdir -p "$ROOT/etc"
    [[ -f $ROOT/etc/passwd ]] || printf 'root:x:0:0:root:/root:/bin/bash\n' >"$ROOT/etc/passwd"
    [[ -f $ROOT/etc/group ]] || printf 'root:x:0:\n' >"$ROOT/etc/group"
    [[ -f $ROOT/etc/shadow ]] || install -m 0600 /dev/null "$ROOT/etc/shadow"
    [[ -f $ROOT/etc/gshadow ]] || install -m 0600 /dev/null "$ROOT/etc/gshadow"
  fi
  if uid_of overcast >/dev/null 2>&1; then
    kept "user overcast ($(uid_of overcast):$(gid_of overcast))"
    return
  fi
  useradd ${ROOT:+--prefix "$ROOT"} --system --user-group --home-dir "$STATE_DIR" --no-create-home \
    --shell /usr/sbin/nologin --comment 'Overcast services' overcast
  did "created the system user overcast ($(uid_of overcast):$(gid_of overcast))"
}

CODE_CHANGED=0
# The code: a copy of this checkout in $INSTALL_DIR (root's, read-only to the services), and its
# production dependencies from package-lock.json. The TypeScript runs as it is, through SWC.
install_code() {
  step "code in $INSTALL_DIR"
  put_dir "$INSTALL_DIR" 0755 root root
  if [[ $(realpath "$SOURCE_DIR") == $(realpath "$ROOT$INSTALL_DIR") ]]; then
    kept "running from $INSTALL_DIR itself"
  else
    local changes
    # Left out: what the checkout builds or runs locally. --delete removes files the new
    # version no longer has; excluded paths (node_modules) are never deleted. A directory's
    # time is not copied: one that changed only by a file come and gone (a log) is no new code.
    changes=$(rsync -a --omit-dir-times --delete --itemize-changes --chown=0:0 --chmod=u+w,go+rX,go-w \
      --exclude=/.git/ --exclude=/node_modules/ --exclude=/data/ --exclude=/dist/ --exclude=/tmp/ \
      --exclude=/.nx/ --exclude=/coverage/ --exclude='*.log' \
      "$SOURCE_DIR/" "$ROOT$INSTALL_DIR/")
    if [[ -n $changes ]]; then
      did "copied $SOURCE_DIR to $INSTALL_DIR ($(printf '%s\n' "$changes" | wc -l) changes)"
      CODE_CHANGED=1
    else
      kept "$INSTALL_DIR matches $SOURCE_DIR"
    fi
  fi
  local stamp=$ROOT$INSTALL_DIR/node_modules/.overcast-installed wanted
  wanted="$(sha256sum <"$ROOT$INSTALL_DIR/package-lock.json" | cut -d' ' -f1) node $(node -v 2>/dev/null || echo none)"
  if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
    kept "$INSTALL_DIR/node_modules matches package-lock.json"
  elif [[ -n $ROOT ]]; then
    host sh -c "cd $INSTALL_DIR && npm install --omit=dev --no-save"
  else
    # Not `npm ci`: it refuses this package-lock.json, which lacks @swc/core's packages for other
    # platforms. `npm install --no-save` takes the versions the lock names and leaves it as it is.
    (cd "$INSTALL_DIR" && host npm install --omit=dev --no-save --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$wanted" >"$stamp"
    did "installed the production dependencies (npm install --omit=dev --no-save)"
    CODE_CHANGED=1
  fi
}

make_directories() {
  step "directories"
  put_dir "$CONFIG_DIR" 0750 root overcast
  put_dir "$SECRETS_DIR" 0700 root root
  put_dir "$STATE_DIR" 0755 root root
  case $ROLE in
    controller)
      put_dir "$STATE_DIR/identity" 0700 overcast overcast
      put_dir "$STATE_DIR/image" 0700 overcast overcast
      ;;
    compute)
      # QEMU (libvirt-qemu) must reach the guests' files below it.
      put_dir "$INSTANCES_DIR" 0755 root root
      # dnsmasq, once it runs as its own user, reads its files below it.
      put_dir "$STATE_DIR/network-agent" 0755 root root
      ;;
    storage)
      local directory
      for directory in "${BACKEND_DIRECTORIES[@]}"; do
        if [[ -n ${BACKEND_MOUNTS[$directory]:-} ]]; then
          put_dir "$STATE_DIR/mnt" 0755 root root
          put_dir "$directory" 0755 root root
        else
          # Others may pass (not list): a hypervisor on this host opens the volumes as libvirt-qemu.
          put_dir "$directory" 0751 overcast overcast
        fi
      done
      ;;
  esac
}

declare -A RESTART=()

controller_settings() {
  step "settings"
  local service
  ensure_secret admin-password
  ensure_secret transport-controller
  ensure_secret transport-node
  for service in "${SERVICES[@]}"; do ensure_secret "database-${service//-/_}"; done
  for service in "${SERVICES[@]:1}"; do ensure_secret "service-$service"; done

  local internal public common
  internal=$(url_host "$INTERNAL_IP")
  public=$(url_host "$PUBLIC_IP")
  common="dataDir=$STATE_DIR
transportUrl=amqp://overcast:$(secret transport-controller)@127.0.0.1:5672/$VHOST
bindHost=$BIND_HOST
publicHost=$PUBLIC_IP
identityUrl=http://$internal:${PORTS[identity]}"
  for service in "${SERVICES[@]}"; do
    local database=${service//-/_} set
    set="$common
$service.databaseUrl=postgres://$database:$(secret "database-$database")@127.0.0.1:5432/$database"
    [[ $service == identity ]] || set+="
$service.servicePassword=$(secret "service-$service")"
    case $service in
      # The URLs the compute API hands to compute nodes (image data) must be theirs to reach.
      compute) set+="
compute.imageUrl=http://$internal:${PORTS[image]}
compute.networkUrl=http://$internal:${PORTS[network]}
compute.blockStorageUrl=http://$internal:${PORTS[block-storage]}" ;;
      block-storage) set+="
block-storage.imageUrl=http://$internal:${PORTS[image]}" ;;
    esac
    write_config "$service" "$set" 'logLevel=info'
  done

  # The admin's client settings, for the openstack CLI on this host: root's only.
  local password
  password=$(secret admin-password)
  put_file "$CONFIG_DIR/clouds.yaml" 0600 root root <<EOF
# The admin of this Overcast cloud:
#   OS_CLIENT_CONFIG_FILE=$CONFIG_DIR/clouds.yaml openstack --os-cloud overcast token issue
clouds:
  overcast:
    auth:
      auth_url: http://$public:${PORTS[identity]}/v3
      username: admin
      password: '$password'
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
    interface: public
EOF
  put_file "$CONFIG_DIR/admin-openrc" 0600 root root <<EOF
# The admin of this Overcast cloud: . $CONFIG_DIR/admin-openrc && openstack token issue
export OS_AUTH_URL='http://$public:${PORTS[identity]}/v3'
export OS_USERNAME='admin'
export OS_PASSWORD='$password'
export OS_PROJECT_NAME='admin'
export OS_USER_DOMAIN_NAME='Default'
export OS_PROJECT_DOMAIN_NAME='Default'
export OS_REGION_NAME='RegionOne'
export OS_IDENTITY_API_VERSION='3'
export OS_INTERFACE='public'
EOF
}

# The nodes' RabbitMQ password: given once (from the controller), then kept.
node_transport_password() {
  local password=''
  if [[ -n $TRANSPORT_PASSWORD_FILE ]]; then
    if [[ $TRANSPORT_PASSWORD_FILE == - ]]; then
      IFS= read -r password || [[ -n $password ]] || die 'no password on standard input'
    else
      [[ -r $TRANSPORT_PASSWORD_FILE ]] || die "cannot read $TRANSPORT_PASSWORD_FILE"
      password=$(head -n 1 "$TRANSPORT_PASSWORD_FILE")
    fi
    [[ $password =~ ^[A-Za-z0-9._~-]+$ ]] || die "the password in $TRANSPORT_PASSWORD_FILE is empty or has characters a URL cannot hold as they are"
    ensure_secret transport-node "$password"
  else
    ensure_secret transport-node # kept from an earlier run (checked at the start)
  fi
}

node_common_settings() {
  printf 'dataDir=%s\ntransportUrl=amqp://overcast-node:%s@%s:5672/%s' "$STATE_DIR" "$(secret transport-node)" "$(url_host "$CONTROLLER")" "$VHOST"
}

compute_settings() {
  step "settings"
  node_transport_password
  if [[ -z $MY_IP ]]; then
    MY_IP=$(ip -o route get "$CONTROLLER" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }' || true)
    [[ -n $MY_IP ]] || die "cannot tell this host's address from the route to $CONTROLLER: give --my-ip"
    note "this host's address (--my-ip): $MY_IP, the source of the route to $CONTROLLER"
  fi
  if [[ $NETWORK_DRIVER == linuxbridge && -z $TUNNEL_INTERFACE ]]; then
    TUNNEL_INTERFACE=$(ip -o addr show 2>/dev/null | awk -v ip="$MY_IP" '{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }' || true)
    [[ -n $TUNNEL_INTERFACE ]] || die "no interface of this host holds $MY_IP: give --tunnel-interface"
    note "the VXLAN tunnels' interface (--tunnel-interface): $TUNNEL_INTERFACE, which holds $MY_IP"
  fi
  local common set physical='' mapping
  common=$(node_common_settings)
  write_config compute-agent "$common
compute-agent.hostIp=$MY_IP
compute-agent.libvirt.hostIp=$MY_IP" 'logLevel=info
compute-agent.driver=libvirt'
  set="$common
network-agent.driver=$NETWORK_DRIVER
network-agent.tunnelIp=$MY_IP"
  if [[ $NETWORK_DRIVER == linuxbridge ]]; then
    set+="
network-agent.tunnelInterface=$TUNNEL_INTERFACE"
  else
    set+="
network-agent.tunnelInterface!"
  fi
  if [[ ${#PHYSICAL_INTERFACES[@]} -gt 0 ]]; then
    for mapping in "${PHYSICAL_INTERFACES[@]}"; do physical+="${physical:+,}\"${mapping%%:*}\":\"${mapping#*:}\""; done
    set+="
network-agent.physicalInterfaces:={$physical}"
  fi
  write_config network-agent "$set" 'logLevel=info'
}

storage_settings() {
  step "settings"
  node_transport_password
  local backends
  backends=$(
    IFS=,
    printf '[%s]' "${BACKENDS_JSON[*]}"
  )
  write_config volume-agent "$(node_common_settings)
volume-agent.backends:=$backends" 'logLevel=info'
}

setup_database() {
  step "PostgreSQL: a database and a role per service"
  local service database password
  if [[ -n $ROOT ]]; then
    for service in "${SERVICES[@]}"; do
      database=${service//-/_}
      host "create role $database (LOGIN, password $SECRETS_DIR/database-$database) and database $database owned by it (psql as postgres)"
    done
    return
  fi
  host systemctl enable --now postgresql
  local tries=0
  until runuser -u postgres -- pg_isready -q; do
    ((++tries < 60)) || die 'PostgreSQL does not answer (pg_isready)'
    sleep 1
  done
  psql_admin() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
  for service in "${SERVICES[@]}"; do
    database=${service//-/_}
    password=$(secret "database-$database")
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$database'") ]]; then
      # Through standard input, and not into the server's statement log.
      printf "SET log_statement = 'none';\nCREATE ROLE %s LOGIN PASSWORD '%s';\n" "$database" "$password" | psql_admin
      did "created the PostgreSQL role $database"
    fi
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'") ]]; then
      psql_admin -c "CREATE DATABASE $database OWNER $database" -c "REVOKE CONNECT ON DATABASE $database FROM PUBLIC"
      did "created the PostgreSQL database $database"
    fi
    if ! PGPASSWORD=$password psql -X -q -h 127.0.0.1 -U "$database" -d "$database" -c 'SELECT 1' >/dev/null 2>&1; then
      printf "SET log_statement = 'none';\nALTER ROLE %s WITH LOGIN PASSWORD '%s';\n" "$database" "$password" | psql_admin
      did "set the password of the PostgreSQL role $database (it did not log in with $SECRETS_DIR/database-$database)"
    else
      kept "database $database, role $database"
    fi
  done
}

setup_broker() {
  step "RabbitMQ: virtual host $VHOST, users overcast (controller) and overcast-node (nodes)"
  if [[ -n $ROOT ]]; then
    host "rabbitmqctl add_vhost $VHOST; add_user overcast and overcast-node (passwords from $SECRETS_DIR/transport-*, on standard input); set_permissions -p $VHOST ... '.*' '.*' '.*'"
    return
  fi
  host systemctl enable --now rabbitmq-server
  host rabbitmqctl -q await_startup
  if ! rabbitmqctl -s list_vhosts name | grep -qx "$VHOST"; then
    host rabbitmqctl -q add_vhost "$VHOST"
    did "created the RabbitMQ virtual host $VHOST"
  fi
  local user secret_name password
  for user in overcast overcast-node; do
    secret_name=transport-controller
    [[ $user == overcast ]] || secret_name=transport-node
    password=$(secret "$secret_name")
    # Passwords go through standard input (rabbitmqctl reads it when the argument is left out).
    if ! rabbitmqctl -s list_users | cut -f1 | grep -qx "$user"; then
      printf '%s\n' "$password" | rabbitmqctl -q add_user "$user" >/dev/null
      did "created the RabbitMQ user $user"
    elif ! printf '%s\n' "$password" | rabbitmqctl -q authenticate_user "$user" >/dev/null 2>&1; then
      printf '%s\n' "$password" | rabbitmqctl -q change_password "$user" >/dev/null
      did "set the password of the RabbitMQ user $user (from $SECRETS_DIR/$secret_name)"
    else
      kept "RabbitMQ user $user"
    fi
    rabbitmqctl -q set_permissions -p "$VHOST" "$user" '.*' '.*' '.*' >/dev/null
  done
}

# `overcast <args>` as the overcast user, with the given config file and none of this shell's
# OVERCAST_* or OS_* variables.
overcast_as_service() { # config-file args...
  (
    for variable in $(compgen -e); do
      [[ $variable != OVERCAST_* && $variable != OS_* ]] || unset "$variable"
    done
    [[ -z ${BOOTSTRAP_ADMIN_PASSWORD:-} ]] || export OVERCAST_ADMIN_PASSWORD=$BOOTSTRAP_ADMIN_PASSWORD
    unset BOOTSTRAP_ADMIN_PASSWORD
    export OVERCAST_CONFIG_FILE=$1 HOME=$STATE_DIR
    shift
    cd /
    exec setpriv --reuid=overcast --regid=overcast --init-groups node "$INSTALL_DIR/apps/overcast/bin/overcast.js" "$@"
  )
}

migrate_and_bootstrap() {
  step "database migrations and bootstrap"
  local service
  for service in "${SERVICES[@]}"; do
    if [[ -n $ROOT ]]; then
      host "OVERCAST_CONFIG_FILE=$CONFIG_DIR/$service.yaml overcast db sync $service (as overcast)"
    else
      printf '  $ overcast db sync %s\n' "$service"
      overcast_as_service "$CONFIG_DIR/$service.yaml" db sync "$service" | sed 's/^/    /'
    fi
  done
  if [[ -n $ROOT ]]; then
    host "OVERCAST_ADMIN_PASSWORD=<$SECRETS_DIR/admin-password> overcast bootstrap (as overcast, with every service's settings)"
    return
  fi
  # Bootstrap writes the catalog (every service's port) and the service users (their
  # passwords): it reads the union of the five files, for as long as it runs.
  local union=$CONFIG_DIR/.bootstrap.yaml text files=()
  for service in "${SERVICES[@]}"; do files+=("$CONFIG_DIR/$service.yaml"); done
  text=$(yaml_tool union "${files[@]}")
  trap 'rm -f "$CONFIG_DIR/.bootstrap.yaml"' EXIT
  (umask 077 && printf '%s\n' "$text" >"$union")
  chown root:overcast "$union"
  chmod 0640 "$union"
  printf '  $ overcast bootstrap\n'
  BOOTSTRAP_ADMIN_PASSWORD=$(secret admin-password) overcast_as_service "$union" bootstrap | sed 's/^/    /'
  rm -f "$union"
  trap - EXIT
}

# Unit files from deploy/systemd, drop-ins and mount units for this host; then every unit is
# enabled, and started, or restarted when its code, settings or unit changed.
UNITS=()
RELOAD=0
install_units() {
  step "systemd units"
  case $ROLE in
    controller) UNITS=(overcast-identity overcast-compute overcast-image overcast-network overcast-block-storage) ;;
    compute) UNITS=(overcast-compute-agent overcast-network-agent) ;;
    storage) UNITS=(overcast-volume-agent) ;;
  esac
  local unit
  for unit in "${UNITS[@]}"; do
    put_file "$UNIT_DIR/$unit.service" 0644 root root <"$SOURCE_DIR/deploy/systemd/$unit.service"
    if [[ $CHANGED -eq 1 ]]; then
      RESTART[$unit]=1
      RELOAD=1
    fi
  done
  [[ $ROLE != storage ]] || storage_units
  if [[ $RELOAD -eq 1 ]]; then host systemctl daemon-reload; fi
}

MOUNT_UNITS=()
storage_units() {
  local directory mount_unit kind what paths=() mounts=()
  for directory in "${BACKEND_DIRECTORIES[@]}"; do
    paths+=("$directory")
    [[ -n ${BACKEND_MOUNTS[$directory]:-} ]] || continue
    read -r kind what <<<"${BACKEND_MOUNTS[$directory]}"
    mount_unit=$(systemd-escape --path --suffix=mount "$directory")
    MOUNT_UNITS+=("$mount_unit")
    mounts+=("$directory")
    put_file "$UNIT_DIR/$mount_unit" 0644 root root <<EOF
# Written by deploy/install.sh storage: the $kind share of the volume backend ${directory##*/}.
[Unit]
Description=Overcast volume backend ${directory##*/} ($kind $what)
Documentation=file:$INSTALL_DIR/docs/operator-guide.md
After=network-online.target
Wants=network-online.target

[Mount]
What=$what
Where=$directory
Type=$kind
Options=_netdev

[Install]
WantedBy=remote-fs.target
EOF
    if [[ $CHANGED -eq 1 ]]; then
      RELOAD=1
      RESTART[$mount_unit]=1
      RESTART[overcast-volume-agent]=1
    fi
  done
  put_dir "$UNIT_DIR/overcast-volume-agent.service.d" 0755 root root
  local dropin='# Written by deploy/install.sh storage (--backend): what the backends of this host need.'
  if [[ ${#mounts[@]} -gt 0 ]]; then dropin+=$'\n[Unit]\nRequiresMountsFor='"${mounts[*]}"$'\n'; fi
  dropin+=$'\n[Service]\n'
  if [[ ${#paths[@]} -gt 0 ]]; then
    dropin+="# The directories the volumes live in."$'\n'"ReadWritePaths=${paths[*]}"
  else
    dropin+='# Its backends keep no files on this host (Ceph RBD).'
  fi
  put_file "$UNIT_DIR/overcast-volume-agent.service.d/backends.conf" 0644 root root <<<"$dropin"
  if [[ $CHANGED -eq 1 ]]; then
    RELOAD=1
    RESTART[overcast-volume-agent]=1
  fi
}

start_units() {
  step "services"
  local unit
  case $ROLE in
    compute)
      host systemctl enable --now libvirtd.service
      [[ $NETWORK_DRIVER != ovs ]] || host systemctl enable --now openvswitch-switch.service
      ;;
    storage)
      for unit in "${MOUNT_UNITS[@]}"; do
        if [[ -n ${RESTART[$unit]:-} ]]; then host systemctl restart "$unit"; fi
        host systemctl enable --now "$unit"
      done
      # Mounted now: the share's top directory becomes the overcast user's.
      local directory
      for directory in "${BACKEND_DIRECTORIES[@]}"; do
        [[ -n ${BACKEND_MOUNTS[$directory]:-} && -z $ROOT ]] || continue
        if ! { chown overcast:overcast "$directory" 2>/dev/null && chmod 0751 "$directory"; }; then
          note "could not give $directory to the overcast user: the export must let root change it (no root squashing), or make its top directory writable by uid $(uid_of overcast)"
        fi
      done
      ;;
  esac
  for unit in "${UNITS[@]}"; do
    if [[ $CODE_CHANGED -eq 1 || -n ${RESTART[$unit]:-} ]]; then
      host systemctl enable "$unit.service"
      host systemctl restart "$unit.service"
    else
      host systemctl enable --now "$unit.service"
    fi
  done
}

HEALTHY=1
wait_until_healthy() {
  [[ -z $ROOT ]] || return 0
  step "health"
  local service url deadline
  for service in "${SERVICES[@]}"; do
    url="http://$(url_host "$INTERNAL_IP"):${PORTS[$service]}/healthcheck"
    deadline=$((SECONDS + 120))
    until curl -fsS -m 2 -o /dev/null "$url" 2>/dev/null; do
      if ((SECONDS > deadline)); then
        note "$url does not answer: journalctl -u overcast-$service -o cat | tail"
        HEALTHY=0
        break
      fi
      sleep 1
    done
    if ((SECONDS <= deadline)); then kept "$url: OK"; fi
  done
}

report() {
  step "done: Overcast $ROLE${ROOT:+ under $ROOT}"
  if [[ ${#CHANGES[@]} -eq 0 ]]; then say "  nothing changed"; else say "  ${#CHANGES[@]} changes (the + lines above)"; fi
  say ''
  say 'Check it:'
  say "  systemctl status ${UNITS[*]/%/.service}"
  say "  journalctl -u ${UNITS[0]} -o cat        # JSON lines (pino): ... | jq -r .msg"
  local internal
  case $ROLE in
    controller)
      internal=$(url_host "$INTERNAL_IP")
      for service in "${SERVICES[@]}"; do say "  curl http://$internal:${PORTS[$service]}/healthcheck"; done
      say "  OS_CLIENT_CONFIG_FILE=$CONFIG_DIR/clouds.yaml openstack --os-cloud overcast catalog list"
      say ''
      say "The admin's password is in $SECRETS_DIR/admin-password (root only); $CONFIG_DIR/clouds.yaml and"
      say "$CONFIG_DIR/admin-openrc hold it for the openstack CLI. Every password install.sh made is in $SECRETS_DIR."
      say ''
      say 'Then, on each compute and storage node (from a checkout of the same version):'
      say "  ssh root@$INTERNAL_IP cat $SECRETS_DIR/transport-node | deploy/install.sh compute --controller $INTERNAL_IP --transport-password-file -"
      say "  ssh root@$INTERNAL_IP cat $SECRETS_DIR/transport-node | deploy/install.sh storage --controller $INTERNAL_IP --backend nfs:SERVER:/EXPORT --transport-password-file -"
      ;;
    compute)
      say "  on the controller: openstack compute service list; openstack hypervisor list; openstack network agent list"
      ;;
    storage)
      say "  on the controller: openstack volume service list"
      local directory
      for directory in "${BACKEND_DIRECTORIES[@]}"; do
        [[ -z ${BACKEND_MOUNTS[$directory]:-} ]] || continue
        say ''
        say "Note: the file backend in $directory gives compute hosts the volumes' paths: only a hypervisor"
        say "on this host, or one that mounts the same directory at the same path, can attach them."
        say "Separate storage hosts use nfs: (qemu on the compute hosts reaches the export itself) or rbd:."
        break
      done
      ;;
  esac
  [[ $HEALTHY -eq 1 ]] || die 'some services are not healthy (see above)'
}

# ---------------------------------------------------------------- main

say "Overcast $ROLE install from $SOURCE_DIR${ROOT:+, into $ROOT (--root: files only)}"
install_packages
ensure_node
ensure_user
install_code
make_directories
case $ROLE in
  controller)
    controller_settings
    setup_database
    setup_broker
    migrate_and_bootstrap
    ;;
  compute) compute_settings ;;
  storage) storage_settings ;;
esac
install_units
start_units
[[ $ROLE != controller ]] || wait_until_healthy
report
