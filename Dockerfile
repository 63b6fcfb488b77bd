# syntax=docker/dockerfile:1
# Foyer's image, built from source in two stages: a Go toolchain image
# compiles a static binary (CGO_ENABLED=0: the SQLite driver, modernc.org,
# is pure Go) and the binary runs FROM scratch as a non-root numeric user.
#
#   docker build -t foyer:dev .
#
# The first stage needs the golang image, so this file builds only where it
# can be pulled (or is already loaded: docker images golang). Where nothing
# may be pulled, build the binary on the host and use
# deploy/docker/Dockerfile, which starts FROM scratch and needs no image at
# all (README, "Operating Foyer"; .ci/run does that).
ARG GO_IMAGE=golang:1.26
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags "-s -w" -o /out/foyer ./cmd/foyer \
 && mkdir -p /out/data && chmod 0700 /out/data

FROM scratch
# TLS to upstream identity providers and SMTP servers needs the CA roots.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/foyer /foyer
COPY --from=build --chown=65532:65532 /out/data /data
ENV FOYER_ADDR=:8080 FOYER_DATA_DIR=/data
USER 65532:65532
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/foyer"]
CMD ["serve"]
