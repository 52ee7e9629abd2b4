module github.com/sealhub/sealhub

go 1.26

require (
	github.com/emmansun/gmsm v0.44.1
	github.com/spf13/cobra v1.10.2
	golang.org/x/crypto v0.54.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)
