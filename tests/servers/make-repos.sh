#!/bin/bash
# Builds the bare fixture repositories the git tests fetch: DIR/repos/app.git and lib.git.
# usage: make-repos.sh DIR
set -euo pipefail
DIR=${1:?usage: make-repos.sh DIR}
export GIT_AUTHOR_NAME=cflux GIT_AUTHOR_EMAIL=cflux@example.com
export GIT_COMMITTER_NAME=cflux GIT_COMMITTER_EMAIL=cflux@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME="$DIR/home"
mkdir -p "$DIR/repos" "$DIR/home" "$DIR/work"
git config --global init.defaultBranch main
git config --global protocol.file.allow always

# lib.git: the submodule.
W="$DIR/work/lib"
git init -q "$W"
echo "library" > "$W/lib.txt"
git -C "$W" add . && git -C "$W" commit -q -m "lib"
git clone -q --bare "$W" "$DIR/repos/lib.git"
LIB_SHA=$(git -C "$W" rev-parse HEAD)

# app.git: branches, tags of each kind, a pull ref, and hostile branches.
W="$DIR/work/app"
git init -q "$W"
mkdir -p "$W/deploy"
echo "# app" > "$W/README.md"
printf 'kind: ConfigMap\n' > "$W/deploy/app.yaml"
git -C "$W" add . && git -C "$W" commit -q -m "one"
git -C "$W" tag v1.0.0
printf '#!/bin/sh\necho hi\n' > "$W/run.sh" && chmod 755 "$W/run.sh"
ln -s deploy/app.yaml "$W/link-ok"
git -C "$W" add . && git -C "$W" commit -q -m "two"
git -C "$W" tag -a v1.1.0 -m "release 1.1.0"
echo "three" > "$W/three.txt"
git -C "$W" add . && git -C "$W" commit -q -m "three"
git -C "$W" tag v2.0.0-rc.1
git -C "$W" tag latest

git -C "$W" checkout -q -b dev
echo dev > "$W/dev.txt"
git -C "$W" add . && git -C "$W" commit -q -m "dev"
git -C "$W" checkout -q main

git -C "$W" checkout -q -b evil-link
ln -s ../../etc/passwd "$W/deploy/escape"
git -C "$W" add . && git -C "$W" commit -q -m "escape"
git -C "$W" checkout -q main

git -C "$W" checkout -q -b big
head -c $((2 * 1024 * 1024)) /dev/zero > "$W/big.bin"
git -C "$W" add . && git -C "$W" commit -q -m "big"
git -C "$W" checkout -q main

git -C "$W" checkout -q -b with-submodule
printf '[submodule "lib"]\n\tpath = lib\n\turl = ../lib.git\n' > "$W/.gitmodules"
git -C "$W" add .gitmodules
git -C "$W" update-index --add --cacheinfo "160000,$LIB_SHA,lib"
git -C "$W" commit -q -m "submodule"
git -C "$W" checkout -q main

git clone -q --bare "$W" "$DIR/repos/app.git"
for b in dev evil-link big with-submodule; do
	git -C "$W" push -q "$DIR/repos/app.git" "$b:$b"
done
git -C "$DIR/repos/app.git" update-ref refs/pull/1/head "$(git -C "$W" rev-parse dev)"
# git http-backend serves repositories over dumb and smart HTTP only when asked to.
for r in app lib; do git -C "$DIR/repos/$r.git" config http.receivepack false; done
