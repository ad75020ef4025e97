# Production image: a static binary on distroless, running as non-root.
# Build: docker build -t saas-starter .   Run migrations as a release step:
#   docker run --rm -e DATABASE_URL=… saas-starter migrate up
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Generated templ code and the built CSS are committed, so no Node or templ
# step is needed here; CGO off gives a static binary.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/saas .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/saas /saas
ENV APP_ENV=production PORT=8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/saas"]
CMD ["serve"]
