# Cairn container image: one static `cairn` binary on a distroless base,
# run as the unprivileged user nonroot (uid/gid 65532), no shell.
#
#   podman build -t cairn .          (or: docker build -t cairn .)
#   podman run --rm cairn --help
#   podman run -d -p 8082:8082 -v cairn-wallet:/data -e CAIRN_STORE \
#     cairn wallet serve --data /data --addr 0.0.0.0:8082
#
# docs/deploy.md ("Container image") says how each role runs in it, and
# what was and was not checked. TestDockerfileBuildSteps (cmd/cairn) runs
# this file's build command and checks the result is a static binary.

# ---- build: the Go release the Makefile pins (GOTOOLCHAIN) ----
FROM docker.io/library/golang:1.27.3-bookworm AS build
ENV GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0 GOFLAGS=-buildvcs=false
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/cairn ./cmd/cairn
# The data volume's mount point, owned by nonroot (the final stage has no
# shell to create it).
RUN mkdir -p /out/data

# ---- final: distroless static (CA certificates, /etc/passwd with
# nonroot, tzdata; no shell, no package manager), pinned by digest.
# The digest is gcr.io/distroless/static-debian12:nonroot as published in
# August 2026 (not resolved from this build machine, which has no registry
# access); refresh it with: crane digest gcr.io/distroless/static-debian12:nonroot
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/cairn /usr/local/bin/cairn
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
WORKDIR /data
VOLUME ["/data"]
# cairn up 8080, issuer 8081, wallet agent 8082, registry 8090, verifier
# 8092 (each listens on 127.0.0.1 unless --addr 0.0.0.0:PORT is given).
EXPOSE 8080 8081 8082 8090 8092
ENTRYPOINT ["/usr/local/bin/cairn"]
CMD ["--help"]
