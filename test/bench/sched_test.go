package bench

import "runtime"

func runtime_Gosched() { runtime.Gosched() }
