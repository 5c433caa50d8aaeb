module github.com/berth-project/berth/bindings/go

go 1.21
