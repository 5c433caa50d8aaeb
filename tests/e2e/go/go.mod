module github.com/berth-project/berth/tests/e2e/go

go 1.21

require github.com/berth-project/berth/bindings/go v0.0.0

replace github.com/berth-project/berth/bindings/go => ../../../bindings/go
