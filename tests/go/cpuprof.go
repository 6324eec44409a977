// SPDX-License-Identifier: MIT
// A Go program that profiles itself with runtime/pprof, for
// run-load.sh: hotA does three times hotB's work per round, so hotA holds
// about 75% of the CPU samples. Usage: cpuprof FILE SECONDS
package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func work(n int) {
	for i := 0; i < n; i++ {
		sink = sink*6364136223846793005 + 1442695040888963407
	}
}

//go:noinline
func hotA() { work(300000) }

//go:noinline
func hotB() { work(100000) }

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	secs, _ := strconv.ParseFloat(os.Args[2], 64)
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for time.Now().Before(end) {
		hotA()
		hotB()
	}
	pprof.StopCPUProfile()
	f.Close()
}
