print("x")
	tabbed
